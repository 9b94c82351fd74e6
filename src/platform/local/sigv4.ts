import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { LambdaApiError } from './runtime-errors.js';

/**
 * The runtime's Lambda API, when given a shared secret, accepts only requests signed with
 * it: AWS Signature Version 4 with the access key id `ferry` and the secret as the secret
 * access key. That is what every AWS SDK and the AWS CLI already send, so the gateway's
 * LambdaInvoker (and any other Lambda client) needs only credentials, no new header; the
 * secret itself never crosses the wire, and a signature is bound to its body, its path and
 * a time (a captured request can be replayed for at most `maxSkewMs`).
 *
 * The canonical request is built as @smithy/signature-v4 (the SDK's signer) builds it:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 */
export const runtimeAccessKeyId = 'ferry';

/** How far the signed time may be from now, either way (AWS allows 5 minutes too). */
export const maxSkewMs = 5 * 60 * 1000;

export interface SignedRequest {
  method: string;
  /** The path as sent (still percent-encoded), without the query. */
  rawPath: string;
  /** The query as sent, without '?'. */
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const forbidden = (errorType: string, message: string) => new LambdaApiError(403, errorType, message);

/** Throws LambdaApiError 403 unless `request` carries a valid SigV4 signature made with `secret`. */
export function verifySignature(request: SignedRequest, secret: string, nowMs: number): void {
  const authorization = header(request.headers, 'authorization');
  if (!authorization) throw forbidden('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const match = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(authorization);
  if (!match) throw forbidden('IncompleteSignatureException', 'Expected an AWS4-HMAC-SHA256 Authorization header with Credential, SignedHeaders and Signature');
  const [, accessKeyId, shortDate, region, service, signedHeaderList, signature] = match as unknown as string[];
  if (accessKeyId !== runtimeAccessKeyId) throw forbidden('UnrecognizedClientException', 'The security token included in the request is invalid.');
  const signedHeaders = signedHeaderList!.split(';');
  const amzDate = header(request.headers, 'x-amz-date') ?? '';
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date') || !amzDate.startsWith(shortDate!)) {
    throw forbidden('IncompleteSignatureException', 'Expected the signature to cover the host and x-amz-date headers, of the credential\'s date');
  }
  const signedAtMs = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (!Number.isFinite(signedAtMs) || Math.abs(nowMs - signedAtMs) > maxSkewMs) {
    throw forbidden('InvalidSignatureException', 'Signature expired: the signed time is more than 5 minutes from now');
  }
  const bodyHash = createHash('sha256').update(request.body).digest('hex');
  const declaredHash = header(request.headers, 'x-amz-content-sha256');
  if (declaredHash !== undefined && declaredHash !== bodyHash) throw forbidden('InvalidSignatureException', 'The x-amz-content-sha256 header does not match the body');
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${canonicalValue(header(request.headers, name) ?? '')}\n`).join('');
  const canonicalRequest = [request.method, canonicalPath(request.rawPath), canonicalQuery(request.rawQuery), canonicalHeaders, signedHeaderList, bodyHash].join('\n');
  const scope = `${shortDate}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${secret}`).update(shortDate!).digest();
  for (const part of [region!, service!, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const expected = createHmac('sha256', key).update(stringToSign).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature!, 'hex'))) {
    throw forbidden('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.');
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function canonicalValue(value: string): string {
  return value.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').replace(/^ | $/g, '');
}

/** RFC 3986 unreserved characters stay, everything else is %XX (what the SDK's escapeUri does). */
function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The path as sent, normalised and encoded once more, as the signer does for every service but S3. */
function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of new URLSearchParams(query)) {
    if (key.toLowerCase() !== 'x-amz-signature') pairs.push([escapeUri(key), escapeUri(value)]);
  }
  pairs.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return pairs.map(([key, value]) => `${key}=${value}`).join('&');
}
