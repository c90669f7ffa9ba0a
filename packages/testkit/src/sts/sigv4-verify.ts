/**
 * Rebuilding a SigV4 signature the way AWS does for services other than S3, and comparing it with the one the
 * client sent. Pure functions over a received request; see
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html for the algorithm.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { headerValue, SIGV4_ALGORITHM } from './sigv4-parse.js';
import type { Authorization, SignedRequest } from './sigv4-parse.js';

/** RFC 3986 encoding: everything but `A-Za-z0-9-_.~` becomes an upper-case `%XX`. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decodeComponent(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The path, normalized (no empty, `.` or `..` segments) and encoded once more: AWS double-encodes for non-S3. */
export function canonicalPath(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  const normalized = `/${segments.join('/')}${trailing}`;
  return uriEncode(normalized).replace(/%2F/g, '/');
}

/** Query parameters re-encoded and sorted by name then value; the signature parameter itself is left out. */
export function canonicalQuery(rawQuery: string): string {
  const pairs: Array<[string, string]> = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = uriEncode(decodeComponent(eq < 0 ? part : part.slice(0, eq)));
    const value = uriEncode(decodeComponent(eq < 0 ? '' : part.slice(eq + 1)));
    if (name.toLowerCase() === 'x-amz-signature') continue;
    pairs.push([name, value]);
  }
  pairs.sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

/** `name:value` lines for the signed headers; values trimmed, inner whitespace runs collapsed, repeats joined by `,`. */
export function canonicalHeaders(request: SignedRequest, signedHeaders: readonly string[]): string {
  return signedHeaders
    .map((name) => {
      const value = (headerValue(request, name) ?? '').replace(/\s+/g, ' ').trim();
      return `${name}:${value}\n`;
    })
    .join('');
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function canonicalRequest(request: SignedRequest, signedHeaders: readonly string[]): string {
  return [
    request.method.toUpperCase(),
    canonicalPath(request.path),
    canonicalQuery(request.query),
    canonicalHeaders(request, signedHeaders),
    signedHeaders.join(';'),
    // The hash of the body actually received; a client's X-Amz-Content-Sha256 header is a signed header like any
    // other, so a header that disagrees with the body cannot produce a matching signature.
    sha256Hex(request.body),
  ].join('\n');
}

export function stringToSign(requestTime: string, scope: string, canonical: string): string {
  return [SIGV4_ALGORITHM, requestTime, scope, sha256Hex(canonical)].join('\n');
}

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"). */
export function signingKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secretAccessKey}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

/** The signature AWS expects for this request under the given secret. */
export function expectedSignature(request: SignedRequest, auth: Authorization, secretAccessKey: string): string {
  const toSign = stringToSign(auth.requestTime, auth.scope, canonicalRequest(request, auth.signedHeaders));
  const key = signingKey(secretAccessKey, auth.scopeDate, auth.region, auth.service);
  return createHmac('sha256', key).update(toSign).digest('hex');
}

/**
 * Whether the request carries a valid signature under the given secret. Every signed header must be present and
 * `host` must be among them (the SigV4 specification requires it).
 */
export function verifySignature(request: SignedRequest, auth: Authorization, secretAccessKey: string): boolean {
  if (!auth.signedHeaders.includes('host')) return false;
  if (auth.signedHeaders.some((name) => name === '' || name !== name.toLowerCase() || headerValue(request, name) === undefined)) {
    return false;
  }
  if (!/^[0-9a-f]{64}$/.test(auth.signature)) return false;
  const expected = Buffer.from(expectedSignature(request, auth, secretAccessKey), 'hex');
  return timingSafeEqual(expected, Buffer.from(auth.signature, 'hex'));
}
