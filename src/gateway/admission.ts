import { FerryError, quoteText } from '../core/errors.js';
import { imageFormatError, imageMediaTypes, isAllowedImageFormat, sniffImageFormat, type ImageFormat } from '../core/image-format.js';
import type { ModelInfo } from '../models/catalog.js';
import { maxItemPayloadBytes } from '../serving/model-batcher.js';

/**
 * What admission decides before anything is queued or invoked: every refusal here is the
 * client's mistake, answered 4xx with a code, and never costs an invocation. A request
 * that can never succeed (too many items for the queue, an item larger than a payload)
 * must not get 503 + Retry-After, which would have clients retry it forever.
 */

/** Items per HTTP request, at most: larger batches are the gateway's job, not the client's. */
export const maxItemsPerRequest = 64;

export interface AdmissionLimits {
  /** Items one request may hold. */
  maxItems: number;
  /** Which limit `maxItems` is, for the message. */
  maxItemsWhy: string;
  /** Bytes one item may add to an invocation payload. */
  maxItemPayloadBytes: number;
}

/** The limits for a gateway whose queues hold `maxQueueItems` items each. */
export function admissionLimits(maxQueueItems: number): AdmissionLimits {
  return maxQueueItems < maxItemsPerRequest
    ? { maxItems: maxQueueItems, maxItemsWhy: `the queue holds ${maxQueueItems} items (--max-queue)`, maxItemPayloadBytes }
    : { maxItems: maxItemsPerRequest, maxItemsWhy: `${maxItemsPerRequest} items per request`, maxItemPayloadBytes };
}

export function checkItemCount(count: number, limits: AdmissionLimits): void {
  if (count > limits.maxItems) {
    throw new FerryError('INVALID_REQUEST', `Expected at most ${limits.maxItems} items in one request (${limits.maxItemsWhy}), got ${count}`);
  }
}

/** A lone item larger than one invocation can carry is refused here, not sent to fail there. */
export function checkItemSize(payloadBytes: number, where: string, limits: AdmissionLimits): void {
  if (payloadBytes > limits.maxItemPayloadBytes) {
    throw new FerryError('ITEM_TOO_LARGE', `Expected ${where} to add at most ${limits.maxItemPayloadBytes} bytes to an invocation (Lambda's 6 MB payload), got ${payloadBytes}`);
  }
}

/** Refuses image bytes of any format but JPEG, PNG and WebP (see core/image-format.ts). */
export function checkImageFormat(head: Uint8Array, where: string): ImageFormat {
  const format = sniffImageFormat(head);
  if (!isAllowedImageFormat(format)) throw imageFormatError(format, where);
  return format;
}

/** The body of /classify: an allowed format, and the one its Content-Type declares. */
export function checkClassifyBody(body: Buffer, mediaType: string): void {
  const format = checkImageFormat(body, 'the body');
  const declared = imageMediaTypes[mediaType];
  if (declared !== format) {
    throw new FerryError('UNSUPPORTED_MEDIA_TYPE', `Expected a body of the declared Content-Type ${quoteText(mediaType)}, got a ${format.toUpperCase()} image`);
  }
}

/**
 * `?top=k` of /classify: how many labels to answer, an integer of at least 1; more than the
 * model has means all of them (as `head -n` does). Absent: all.
 */
export function classifyTop(query: string, spec: Pick<ModelInfo, 'labels'>): number {
  if (query === '') return spec.labels.length;
  const text = new URLSearchParams(query).get('top');
  if (text === null) return spec.labels.length;
  if (!/^[0-9]{1,6}$/.test(text) || Number(text) < 1) {
    throw new FerryError('INVALID_REQUEST', `Expected ?top= to be an integer of at least 1, got ${quoteText(text)}`);
  }
  return Math.min(Number(text), spec.labels.length);
}
