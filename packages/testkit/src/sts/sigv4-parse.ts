/**
 * Reading the SigV4 `Authorization` header and the request time, and the checks AWS makes on them before it
 * computes anything: the credential scope (`<date>/<region>/<service>/aws4_request`) and the 15-minute window
 * around the server's clock. Pure: the caller passes the clock's reading.
 */
import { stsError } from './errors.js';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** A request as received, for signature checks: raw (still percent-encoded) path and query, lower-case headers. */
export interface SignedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: string | Uint8Array;
}

export interface Authorization {
  readonly accessKeyId: string;
  /** `<date>/<region>/<service>/<terminator>`, as it goes into the string to sign. */
  readonly scope: string;
  readonly scopeDate: string;
  readonly region: string;
  readonly service: string;
  readonly terminator: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  /** The request time in ISO 8601 basic format (`20150830T123600Z`), as it goes into the string to sign. */
  readonly requestTime: string;
  readonly requestTimeMs: number;
  /** Which header carried the request time. */
  readonly timeHeader: 'x-amz-date' | 'date';
}

export function headerValue(request: SignedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : value?.join(',');
}

const BASIC_TIME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Milliseconds since the epoch of an ISO 8601 basic time, or undefined when it is not one. */
export function parseBasicTime(value: string): number | undefined {
  const m = BASIC_TIME.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  // Reject dates that Date.UTC silently rolls over (20150230 → 20150302).
  return check.getUTCMonth() === month - 1 && check.getUTCDate() === day && hour < 24 && minute < 60 && second < 60
    ? ms
    : undefined;
}

export function formatBasicTime(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** The authorization of a signed request; throws MissingAuthenticationToken or IncompleteSignature as AWS does. */
export function parseAuthorization(request: SignedRequest): Authorization {
  const header = headerValue(request, 'authorization');
  if (header === undefined || header.trim() === '') throw stsError('MissingAuthenticationToken');
  const space = header.indexOf(' ');
  const algorithm = space < 0 ? header : header.slice(0, space);
  const fields = new Map<string, string>();
  for (const part of (space < 0 ? '' : header.slice(space + 1)).split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq < 0) {
      throw stsError(
        'IncompleteSignature',
        `'${item}' not a valid key=value pair (missing equal-sign) in Authorization header: '${header}'.`,
      );
    }
    fields.set(item.slice(0, eq), item.slice(eq + 1));
  }
  const amzDate = headerValue(request, 'x-amz-date');
  const httpDate = headerValue(request, 'date');
  const missing: string[] = [];
  for (const name of ['Credential', 'Signature', 'SignedHeaders']) {
    if (!fields.get(name)) missing.push(`Authorization header requires '${name}' parameter.`);
  }
  if (amzDate === undefined && httpDate === undefined) {
    missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  if (missing.length > 0) throw stsError('IncompleteSignature', `${missing.join(' ')} Authorization=${header}`);
  if (algorithm !== SIGV4_ALGORITHM) {
    throw stsError('IncompleteSignature', `Unsupported AWS 'algorithm': '${algorithm}'`);
  }

  const credential = fields.get('Credential') ?? '';
  const elements = credential.split('/');
  if (elements.length !== 5 || elements.some((e) => e === '')) {
    throw stsError(
      'IncompleteSignature',
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`,
    );
  }
  const [accessKeyId, scopeDate, region, service, terminator] = elements as [string, string, string, string, string];

  let requestTime: string;
  let requestTimeMs: number | undefined;
  if (amzDate !== undefined) {
    requestTime = amzDate.trim();
    requestTimeMs = parseBasicTime(requestTime);
  } else {
    const parsed = Date.parse(httpDate ?? '');
    requestTimeMs = Number.isNaN(parsed) ? undefined : parsed;
    requestTime = requestTimeMs === undefined ? (httpDate ?? '') : formatBasicTime(requestTimeMs);
  }
  if (requestTimeMs === undefined) {
    throw stsError(
      'IncompleteSignature',
      `Date must be in ISO-8601 'basic format'. Got '${requestTime}'. See http://en.wikipedia.org/wiki/ISO_8601`,
    );
  }
  return {
    accessKeyId,
    scope: elements.slice(1).join('/'),
    scopeDate,
    region,
    service,
    terminator,
    signedHeaders: (fields.get('SignedHeaders') ?? '').split(';'),
    signature: fields.get('Signature') ?? '',
    requestTime,
    requestTimeMs,
    timeHeader: amzDate !== undefined ? 'x-amz-date' : 'date',
  };
}

/** The scope must name the request's day, a region, the service and the SigV4 terminator (SignatureDoesNotMatch). */
export function checkCredentialScope(auth: Authorization, service: string): void {
  const day = auth.requestTime.slice(0, 8);
  if (auth.scopeDate !== day) {
    throw stsError(
      'SignatureDoesNotMatch',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scopeDate}' != '${day}', from '${auth.timeHeader}'.`,
    );
  }
  if (!/^[a-z0-9-]+$/.test(auth.region)) {
    throw stsError('SignatureDoesNotMatch', 'Credential should be scoped to a valid region. ');
  }
  if (auth.service !== service) {
    throw stsError('SignatureDoesNotMatch', `Credential should be scoped to correct service: '${service}'. `);
  }
  if (auth.terminator !== 'aws4_request') {
    throw stsError(
      'SignatureDoesNotMatch',
      `Credential should be scoped with a valid terminator: 'aws4_request', not '${auth.terminator}'. `,
    );
  }
}

/** observed: AWS's texts for a request time more than 15 minutes away from its clock. */
export function checkRequestTime(auth: Authorization, nowMs: number, maxSkewMs = MAX_CLOCK_SKEW_MS): void {
  const minutes = Math.round(maxSkewMs / 60_000);
  if (auth.requestTimeMs < nowMs - maxSkewMs) {
    throw stsError(
      'SignatureDoesNotMatch',
      `Signature expired: ${auth.requestTime} is now earlier than ${formatBasicTime(nowMs - maxSkewMs)} (${formatBasicTime(nowMs)} - ${minutes} min.)`,
    );
  }
  if (auth.requestTimeMs > nowMs + maxSkewMs) {
    throw stsError(
      'SignatureDoesNotMatch',
      `Signature not yet current: ${auth.requestTime} is still later than ${formatBasicTime(nowMs + maxSkewMs)} (${formatBasicTime(nowMs)} + ${minutes} min.)`,
    );
  }
}
