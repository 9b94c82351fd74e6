import type { IncomingMessage } from 'node:http';
import secureJson from 'secure-json-parse';
import { FerryError } from '../core/errors.js';

/** The request closed before its body was read: nobody is left to answer. */
export class ClientGone extends Error {}

/**
 * Reads a request body of at most `limitBytes`. A declared Content-Length over the limit
 * is refused before a byte is read (see mustCloseUnread for what then becomes of it); a
 * chunked body that grows past it is refused as soon as it does, without buffering the
 * rest, and its connection must close.
 */
export function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const tooLarge = () => new FerryError('BODY_TOO_LARGE', `Expected a body of at most ${limitBytes} bytes, got more`);
  const declared = Number(request.headers['content-length']);
  if (declared > limitBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    // Listeners stay attached (the request is discarded after): a flag ends the reading,
    // cheaper than removing them on every request.
    let settled = false;
    request.on('data', (chunk: Buffer) => {
      if (settled) return;
      bytes += chunk.length;
      if (bytes > limitBytes) {
        settled = true;
        request.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes));
    });
    // 'close' also follows a normal 'end'; before one, the client went away.
    request.on('close', () => {
      if (settled) return;
      settled = true;
      reject(new ClientGone('The client closed the request before sending its whole body'));
    });
  });
}

/**
 * Whether the connection must close after answering `request` before its body was read.
 * node:http discards an unread body after the answer, framed by its Content-Length (so no
 * byte of it is ever parsed as a request), and the connection stays usable. That is worth
 * it up to `maxDrainBytes` declared: the client then reads its answer, where closing while
 * it still sends makes the kernel reset the connection, which can destroy the answer in
 * flight. A larger declared body, or one of unknown length (chunked), is not waited for.
 */
export function mustCloseUnread(request: IncomingMessage, maxDrainBytes: number): boolean {
  if (request.complete) return false;
  if (request.headers['transfer-encoding'] !== undefined) return true;
  const declared = Number(request.headers['content-length'] ?? 0);
  return !(declared <= maxDrainBytes);
}

/** The media type of a Content-Type header, lower-cased, without parameters ('' if none). */
export function mediaType(contentType: string | undefined): string {
  if (!contentType) return '';
  if (contentType === 'application/json') return contentType; // what nearly every request says
  const semicolon = contentType.indexOf(';');
  return (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/**
 * Parses a JSON body. Like fastify's default parser it refuses `__proto__` and
 * `constructor.prototype` keys (prototype poisoning, should any code ever merge the body
 * into another object). secure-json-parse's own check is two regular-expression scans of
 * the text, a measurable cost per request; the text is first searched for the three
 * strings any such key needs (the names, or a \u escape that could spell them), and only a
 * body holding one goes through secure-json-parse.
 */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw new FerryError('EMPTY_BODY', 'Expected a JSON body, got none');
  const text = body.toString('utf8');
  try {
    if (!text.includes('__proto__') && !text.includes('constructor') && !text.includes('\\u')) return JSON.parse(text) as unknown;
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    throw new FerryError('INVALID_JSON', `Expected the body to be JSON: ${(error as Error).message}`);
  }
}
