import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FerryError } from '../core/errors.js';
import { modelInfo } from '../models/catalog.js';
import { sampleFile } from '../models/files.js';

/** One request body for the classify endpoint: an encoded image and its media type. */
export interface ImageBody {
  name: string;
  bytes: Buffer;
  contentType: string;
}

const mediaTypes: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp' };

/** The model's sample images (samples/), read once; the load generator cycles through them. */
export function sampleBodies(model: string): ImageBody[] {
  const spec = modelInfo(model);
  return spec.samples.map((name) => {
    const contentType = mediaTypes[path.extname(name).toLowerCase()];
    if (!contentType) throw new FerryError('INVALID_ARGUMENT', `Expected sample ${name} of ${model} to be a PNG, JPEG or WebP file`);
    return { name, bytes: readFileSync(sampleFile(name)), contentType };
  });
}
