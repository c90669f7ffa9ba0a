import type { Next, ParameterizedContext } from 'koa';
import type { Clock, Logger } from '@iam4kube/shared';
import { HttpError, notFound } from './http-error.js';
import type { IncomingHttpHeaders } from 'node:http';
import { routeOfPath, type Route, type RouteName } from './paths.js';
import type { TokenCheck, TokenSigner } from './imds-token.js';
import type { MetadataMetrics } from './metadata-metrics.js';

export type ImdsV1Policy = 'allowed' | 'disabled';

/** What the middlewares learn about a request, for the handler and for the request's log line. */
export interface RequestState {
  ip: string;
  route: RouteName | 'other';
  matched?: Route;
  pod?: string;
  roleArn?: string;
}

export type MetadataContext = ParameterizedContext<RequestState>;

export interface GuardOptions {
  readonly tokens: TokenSigner;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: MetadataMetrics;
  readonly imdsV1: ImdsV1Policy;
}

const CLOSE = { connection: 'close' } as const;

/**
 * Decides, before any handler runs, whether a request may be answered, in this order:
 * 1. the path: not one of ours → 404, whatever the method or token (never 401/403 there: Java v2, Ruby and PHP only
 *    fall back from `security-credentials-extended` on a 404);
 * 2. the method: another one on a served path → 405;
 * 3. a body (GET and the token PUT take none) → 400, and the connection is closed rather than drained;
 * 4. IMDSv2, as EC2 does it: `X-Forwarded-For` on a token PUT or on a request with a token → 403; a token that is
 *    invalid or expired → 401; no token while IMDSv1 is disabled → 401. A token signed with a key this replica does
 *    not hold (`foreign`) is taken as no token: with IMDSv1 allowed that changes nothing an attacker could not get by
 *    leaving the header out, and it keeps a token from a replica with another key from ever failing a request.
 */
export function requestGuard(o: GuardOptions) {
  const reportedForeignKeys = new Set<string>();
  const reportForeign = (ip: string, token: string): void => {
    const keyId = token.split('.')[1] ?? '';
    if (reportedForeignKeys.has(keyId) || reportedForeignKeys.size >= 16) return;
    reportedForeignKeys.add(keyId);
    o.logger.warn(
      { ip, keyId, ourKeyId: o.tokens.keyId, imdsV1: o.imdsV1 },
      'an IMDSv2 token signed with a key this replica does not hold: the replicas do not share --token-key-file',
    );
  };

  return async (ctx: MetadataContext, next: Next): Promise<void> => {
    const path = requestPath(ctx);
    // A request target Node's URL parser refuses (e.g. an absolute form with an invalid host): the client's error.
    if (path === undefined) throw BAD_REQUEST;
    const route = routeOfPath(path);
    if (!route) throw notFound();
    ctx.state.route = route.name;
    ctx.state.matched = route;
    const verdict = judgeRequest(o, { route, method: ctx.method, ip: ctx.state.ip, headers: guardHeadersOf(ctx.req.headers) });
    if (verdict.token !== undefined) {
      o.metrics.token(verdict.token);
      if (verdict.token === 'foreign') reportForeign(ctx.state.ip, String(ctx.req.headers['x-aws-ec2-metadata-token']));
    }
    if (verdict.error) throw verdict.error;
    await next();
  };
}

/** A request whose path matched a route, as the rules below see it. */
export interface RequestFacts {
  readonly route: Route;
  readonly method: string | undefined;
  readonly ip: string;
  readonly headers: GuardHeaders;
  /** The time read for this request; the clock's now when absent. */
  readonly now?: number;
}

/** What the rules decided: refused with `error`, or let through; `token` is the verdict on a presented token. */
export interface Verdict {
  readonly error?: HttpError;
  readonly token?: TokenCheck;
}

const PASS: Verdict = {};
const METHOD_NOT_ALLOWED: Readonly<Record<Route['method'], HttpError>> = {
  GET: new HttpError(405, 'Method Not Allowed', { allow: 'GET, HEAD' }),
  PUT: new HttpError(405, 'Method Not Allowed', { allow: 'PUT' }),
};
const BAD_REQUEST = new HttpError(400, 'Bad Request', CLOSE);
const FORBIDDEN = new HttpError(403, 'Forbidden');
const UNAUTHORIZED = new HttpError(401, 'Unauthorized');

/**
 * Rules 2 to 4 above for a request on one of our routes (rule 1 is the route match), without side effects: the Koa
 * guard and the fast path (fast-path.ts) both decide with this, so they cannot disagree.
 */
export function judgeRequest(o: Pick<GuardOptions, 'tokens' | 'clock' | 'imdsV1'>, r: RequestFacts): Verdict {
  const method = r.method === 'HEAD' && r.route.method === 'GET' ? 'GET' : r.method;
  if (method !== r.route.method) return { error: METHOD_NOT_ALLOWED[r.route.method] };
  if (hasBody(r.headers)) return { error: BAD_REQUEST };
  const forwarded = r.headers.forwardedFor !== '';
  if (r.route.name === 'token') return forwarded ? { error: FORBIDDEN } : PASS;
  const token = r.headers.token;
  if (token === '') return o.imdsV1 === 'disabled' ? { error: UNAUTHORIZED } : PASS;
  if (forwarded) return { error: FORBIDDEN };
  const check = o.tokens.verify(token, r.ip, r.now ?? o.clock.now());
  if (check === 'valid' || (check === 'foreign' && o.imdsV1 !== 'disabled')) return { token: check };
  return { error: UNAUTHORIZED, token: check };
}

/**
 * The request's path as Koa parses it; undefined when the request target has none: Node's URL parser refuses it
 * (Koa's getter throws) or finds no path in it (an absolute form whose host is over 255 characters gives null).
 */
export function requestPath(ctx: Pick<MetadataContext, 'path'>): string | undefined {
  try {
    const path: unknown = ctx.path;
    return typeof path === 'string' ? path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The only headers the rules read, each as Koa's ctx.get reads it: '' when absent. A fixed shape: reading a field
 * costs less than looking a name up in Node's header object (the fast path builds it from rawHeaders).
 */
export interface GuardHeaders {
  readonly contentLength: string;
  readonly transferEncoding: string;
  readonly forwardedFor: string;
  readonly token: string;
}

/** The guard's headers from Node's parsed headers (duplicates already merged by Node). */
export function guardHeadersOf(headers: IncomingHttpHeaders): GuardHeaders {
  return {
    contentLength: header(headers, 'content-length'),
    transferEncoding: header(headers, 'transfer-encoding'),
    forwardedFor: header(headers, 'x-forwarded-for'),
    token: header(headers, 'x-aws-ec2-metadata-token'),
  };
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return typeof value === 'string' ? value : '';
}

function hasBody(headers: GuardHeaders): boolean {
  return headers.transferEncoding !== '' || (headers.contentLength !== '' && !/^0+$/.test(headers.contentLength));
}
