import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FerryError } from '../core/errors.js';
import { getModel, sampleFile } from '../function/models/registry.js';

/** One request body for the classify endpoint: an encoded image and its media type. */
export interface ImageBody {
  name: string;
  bytes: Buffer;
  contentType: string;
}

const mediaTypes: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp' };

/** The model's sample images (samples/), read once; the load generator cycles through them. */
export function sampleBodies(model: string): ImageBody[] {
  const spec = getModel(model);
  return spec.samples.map((name) => {
    const contentType = mediaTypes[path.extname(name).toLowerCase()];
    if (!contentType) throw new FerryError('INVALID_ARGUMENT', `Expected sample ${name} of ${model} to be a PNG, JPEG or WebP file`);
    return { name, bytes: readFileSync(sampleFile(name)), contentType };
  });
}
