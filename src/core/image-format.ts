import { FerryError } from './errors.js';

/**
 * Which image format a byte string is, from its first bytes (its "magic number"), without
 * decoding anything. ferry accepts JPEG, PNG and WebP only. sharp (libvips) would also
 * decode GIF, TIFF, SVG and HEIF: SVG in particular puts an XML renderer (librsvg) within
 * reach of every client, and each extra decoder is attack surface that no served model
 * needs. So the gateway refuses the others at admission, and the function refuses them
 * again before sharp sees the bytes (it may be invoked directly, without the gateway).
 */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'svg' | 'heif' | 'bmp' | 'pdf' | 'ico' | 'jxl' | 'jp2' | 'unknown';

export const allowedImageFormats: readonly ImageFormat[] = ['jpeg', 'png', 'webp'];

/** The media type each accepted format is declared with on /classify. */
export const imageMediaTypes: Readonly<Record<string, ImageFormat>> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
};

/** Bytes `sniffImageFormat` looks at, at most (what to decode from the front of base64). */
export const sniffBytes = 16;

const startsWith = (bytes: Uint8Array, prefix: readonly number[], at = 0): boolean =>
  bytes.length >= at + prefix.length && prefix.every((b, i) => bytes[at + i] === b);
const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

export function sniffImageFormat(bytes: Uint8Array): ImageFormat {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'webp';
  if (startsWith(bytes, ascii('GIF8'))) return 'gif';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (startsWith(bytes, ascii('ftyp'), 4)) return 'heif';
  if (startsWith(bytes, ascii('BM'))) return 'bmp';
  if (startsWith(bytes, ascii('%PDF'))) return 'pdf';
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return 'ico';
  if (startsWith(bytes, [0xff, 0x0a]) || startsWith(bytes, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) return 'jxl';
  if (startsWith(bytes, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20])) return 'jp2';
  // XML or SVG: '<' after an optional UTF-8 byte-order mark and white space.
  let i = startsWith(bytes, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  if (bytes[i] === 0x3c) return 'svg';
  return 'unknown';
}

export function isAllowedImageFormat(format: ImageFormat): boolean {
  return allowedImageFormats.includes(format);
}

/**
 * The refusal of a format that is not allowed: a known other format is
 * UNSUPPORTED_IMAGE_FORMAT; bytes of no known format are no image at all, IMAGE_DECODE_FAILED.
 */
export function imageFormatError(format: ImageFormat, where: string): FerryError {
  const expected = `Expected ${where} to be a JPEG, PNG or WebP image`;
  if (format === 'unknown') return new FerryError('IMAGE_DECODE_FAILED', `${expected}, got bytes of no known image format`);
  return new FerryError('UNSUPPORTED_IMAGE_FORMAT', `${expected}, got ${format === 'svg' ? 'SVG or other XML' : format.toUpperCase()}`);
}
