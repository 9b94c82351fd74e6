import sharp from 'sharp';
import { FerryError } from '../core/errors.js';
import { imageFormatError, isAllowedImageFormat, sniffImageFormat } from '../core/image-format.js';
import type { ImagePreprocess } from './models/registry.js';

// A decompression bomb must not take a function instance down: 40 megapixels is far above
// any image worth classifying at 224 px.
const maxInputPixels = 40_000_000;

/** Decodes an encoded image and writes one model input item into `out` (length = item size). */
export async function imageToItem(bytes: Uint8Array, spec: ImagePreprocess, out: Float32Array): Promise<void> {
  // Before sharp sees a byte: it would decode GIF, TIFF, SVG and HEIF too (see image-format.ts).
  const format = sniffImageFormat(bytes);
  if (!isAllowedImageFormat(format)) throw imageFormatError(format, 'the image');
  try {
    if (spec.kind === 'rgb-unit-hwc') {
      const rgb = await decodeRgb(bytes).resize(spec.width, spec.height, { fit: 'fill' }).raw().toBuffer();
      for (let i = 0; i < rgb.length; i++) out[i] = rgb[i]! / 255;
      return;
    }
    await paddleClassifierItem(bytes, spec, out);
  } catch (error) {
    throw new FerryError('IMAGE_DECODE_FAILED', `Could not decode the image (${(error as Error).message})`, { cause: error });
  }
}

function decodeRgb(bytes: Uint8Array): sharp.Sharp {
  return sharp(bytes, { limitInputPixels: maxInputPixels, failOn: 'error' }).rotate().removeAlpha().toColourspace('srgb');
}

async function paddleClassifierItem(bytes: Uint8Array, spec: Extract<ImagePreprocess, { kind: 'paddle-cls' }>, out: Float32Array) {
  const meta = await sharp(bytes, { limitInputPixels: maxInputPixels }).metadata();
  if (!meta.width || !meta.height) throw new Error('image has no dimensions');
  const resizedWidth = Math.min(spec.width, Math.ceil((spec.height * meta.width) / meta.height));
  const rgb = await decodeRgb(bytes).resize(resizedWidth, spec.height, { fit: 'fill' }).raw().toBuffer();
  out.fill(0);
  const plane = spec.height * spec.width;
  for (let y = 0; y < spec.height; y++) {
    for (let x = 0; x < resizedWidth; x++) {
      const src = (y * resizedWidth + x) * 3;
      for (let c = 0; c < 3; c++) out[c * plane + y * spec.width + x] = rgb[src + c]! / 127.5 - 1;
    }
  }
}
