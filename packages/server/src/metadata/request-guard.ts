import type { Next, ParameterizedContext } from 'koa';
import type { Clock, Logger } from '@iam4kube/shared';
import { HttpError, notFound } from './http-error.js';
import { matchRoute, normalizeMetadataPath, type Route, type RouteName } from './paths.js';
import type { TokenSigner } from './imds-token.js';
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
    const path = normalizeMetadataPath(ctx.path);
    const route = path === undefined ? undefined : matchRoute(path);
    if (!route) throw notFound();
    ctx.state.route = route.name;
    ctx.state.matched = route;
    const method = ctx.method === 'HEAD' && route.method === 'GET' ? 'GET' : ctx.method;
    if (method !== route.method) throw new HttpError(405, 'Method Not Allowed', { allow: route.method === 'GET' ? 'GET, HEAD' : 'PUT' });
    if (hasBody(ctx)) throw new HttpError(400, 'Bad Request', CLOSE);

    const forwarded = ctx.get('x-forwarded-for') !== '';
    if (route.name === 'token') {
      if (forwarded) throw new HttpError(403, 'Forbidden');
      await next();
      return;
    }
    const token = ctx.get('x-aws-ec2-metadata-token');
    if (token !== '') {
      if (forwarded) throw new HttpError(403, 'Forbidden');
      const check = o.tokens.verify(token, ctx.state.ip, o.clock.now());
      o.metrics.token(check);
      if (check === 'foreign') {
        reportForeign(ctx.state.ip, token);
        if (o.imdsV1 === 'disabled') throw new HttpError(401, 'Unauthorized');
      } else if (check !== 'valid') {
        throw new HttpError(401, 'Unauthorized');
      }
    } else if (o.imdsV1 === 'disabled') {
      throw new HttpError(401, 'Unauthorized');
    }
    await next();
  };
}

function hasBody(ctx: MetadataContext): boolean {
  const length = ctx.get('content-length');
  return ctx.get('transfer-encoding') !== '' || (length !== '' && !/^0+$/.test(length));
}
