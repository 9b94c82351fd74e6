import type { Duplex } from 'node:stream';
import { quoteText, type ErrorCode } from '../core/errors.js';
import { httpStatusFor } from './http-status.js';

const reasons: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/** The code of an error node:http's parser (llhttp) or its timers raised. */
function codeOf(error: NodeJS.ErrnoException): ErrorCode {
  if (error.code === 'HPE_HEADER_OVERFLOW') return 'HEADERS_TOO_LARGE';
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'ERR_HTTP_HEADERS_TIMEOUT') return 'REQUEST_TIMEOUT';
  return 'MALFORMED_HTTP';
}

/**
 * Answers what node:http could not parse with ferry's `{ error, code }` instead of Node's
 * empty 400 / 431 / 408, then closes: after a framing error nothing later on the
 * connection can be trusted to start where a request starts. As Node's own handler, it
 * writes only where no answer to an earlier (pipelined) request has begun on the socket.
 * Returns the code answered, or undefined when the peer was already gone.
 */
export function answerClientError(error: NodeJS.ErrnoException & { reason?: string }, socket: Duplex): ErrorCode | undefined {
  const inProgress = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inProgress?.headersSent) {
    socket.destroy();
    return undefined;
  }
  const code = codeOf(error);
  const detail = error.reason ?? error.message;
  writeErrorAndClose(socket, code, `Could not read the HTTP request: ${quoteText(String(detail))} (${error.code ?? 'no code'})`);
  return code;
}

/** Writes one `{ error, code }` answer straight to a socket that node:http no longer manages, then closes it. */
export function writeErrorAndClose(socket: Duplex, code: ErrorCode, message: string): void {
  const status = httpStatusFor(code);
  const body = JSON.stringify({ error: message, code });
  socket.end(
    `HTTP/1.1 ${status} ${reasons[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  // end() flushes, then the peer may keep its half open: do not wait for it.
  socket.once('finish', () => socket.destroy());
  setTimeout(() => socket.destroy(), 1000).unref();
}
