import Koa, { type Context, type Next } from 'koa';
import Router from '@koa/router';
import type { Clock, Logger } from '@iam4kube/shared';
import type { Kernel } from './kernel.js';
import type { TokenSigner } from './imds-token.js';
import { parseTokenTtl } from './imds-token.js';
import { HttpError, notFound } from './http-error.js';
import { callerIp } from './caller.js';
import { normalizeMetadataPath } from './paths.js';
import { credentialsDocument } from './credentials-document.js';
import type { MetadataMetrics } from './metadata-metrics.js';
import type { Resolution } from '../identity/resolver.js';

export interface MetadataAppOptions {
  readonly kernel: Kernel;
  readonly tokens: TokenSigner;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: MetadataMetrics;
  /** How long a request may wait for the cluster to catch up (pod not seen yet, credentials in flight). */
  readonly waitTimeoutMs: number;
}

interface State {
  ip: string;
  route: string;
}

const CREDENTIALS_PREFIX = '/latest/meta-data/iam/security-credentials';

/**
 * The metadata API: a whitelist. Only the paths below answer; everything else is a 404 (never 403/401, which make
 * some SDKs give up on IMDSv2 or on the credentials path), and nothing is ever proxied to the real metadata service.
 */
export function createMetadataApp(o: MetadataAppOptions): Koa<State> {
  const app = new Koa<State>();
  app.proxy = false; // the caller is the socket's address; proxy headers are never trusted
  const router = new Router<State>({ strict: false });

  router.put('/latest/api/token', (ctx) => {
    ctx.state.route = 'token';
    if (ctx.get('x-forwarded-for')) throw new HttpError(403, 'Forbidden');
    const ttl = parseTokenTtl(ctx.get('x-aws-ec2-metadata-token-ttl-seconds') || undefined);
    if (ttl === undefined) throw new HttpError(400, 'Bad Request');
    ctx.set('x-aws-ec2-metadata-token-ttl-seconds', String(ttl));
    ctx.type = 'text/plain';
    ctx.body = o.tokens.issue(ctx.state.ip, ttl, o.clock.now());
  });

  router.get([CREDENTIALS_PREFIX, `${CREDENTIALS_PREFIX}/`], async (ctx) => {
    ctx.state.route = 'credentials-list';
    const found = await resolveWithin(o, ctx);
    if (found.kind !== 'role') throw notFound();
    ctx.type = 'text/plain';
    ctx.body = found.binding.roleName;
  });

  router.get(`${CREDENTIALS_PREFIX}/:role`, async (ctx) => {
    ctx.state.route = 'credentials';
    const found = await resolveWithin(o, ctx);
    if (found.kind !== 'role' || found.binding.roleName !== ctx.params.role) throw notFound();
    const credentials = await withDeadline(o, ctx, (signal) => o.kernel.credentials(found.binding, signal)).catch(
      (err: unknown) => {
        o.logger.warn({ ip: ctx.state.ip, roleArn: found.binding.roleArn, err: (err as Error).message }, 'credentials unavailable');
        throw new HttpError(503, 'Service Unavailable');
      },
    );
    ctx.type = 'application/json';
    ctx.body = credentialsDocument(credentials);
  });

  app.use(errorsAndMetrics(o));
  app.use(normalize(o));
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: false }));
  return app;
}

function errorsAndMetrics(o: MetadataAppOptions) {
  return async (ctx: Context & { state: State }, next: Next): Promise<void> => {
    const started = o.clock.now();
    ctx.state.ip = callerIp(ctx.req.socket.remoteAddress);
    ctx.state.route = 'other';
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw notFound();
    } catch (err) {
      const known = err instanceof HttpError ? err : undefined;
      if (!known) o.logger.error({ err, path: ctx.path, ip: ctx.state.ip }, 'unexpected error in metadata handler');
      ctx.status = known?.status ?? 500;
      ctx.type = 'text/plain';
      ctx.body = known?.publicMessage ?? 'Internal Server Error';
      for (const [k, v] of Object.entries(known?.headers ?? {})) ctx.set(k, v);
    }
    const seconds = (o.clock.now() - started) / 1000;
    o.metrics.observe(ctx.state.route, ctx.status, seconds);
    if (o.logger.isLevelEnabled('debug')) {
      o.logger.debug({ method: ctx.method, path: ctx.path, ip: ctx.state.ip, route: ctx.state.route, status: ctx.status, ms: seconds * 1000 }, 'request');
    }
  };
}

/** Normalises the path and checks an IMDSv2 token when one is presented. */
function normalize(o: MetadataAppOptions) {
  return async (ctx: Context & { state: State }, next: Next): Promise<void> => {
    const path = normalizeMetadataPath(ctx.path);
    if (path === undefined) throw notFound();
    ctx.path = path;
    const token = ctx.get('x-aws-ec2-metadata-token');
    if (token && ctx.method !== 'PUT') {
      if (ctx.get('x-forwarded-for')) throw new HttpError(403, 'Forbidden');
      if (o.tokens.verify(token, ctx.state.ip, o.clock.now()) !== 'valid') throw new HttpError(401, 'Unauthorized');
    }
    await next();
  };
}

function resolveWithin(o: MetadataAppOptions, ctx: Context & { state: State }): Promise<Resolution> {
  return withDeadline(o, ctx, (signal) => o.kernel.resolve(ctx.state.ip, signal));
}

/** Runs `work` with a signal that aborts at the wait deadline or when the client goes away. */
async function withDeadline<T>(o: MetadataAppOptions, ctx: Context, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = o.clock.setTimeout(() => controller.abort(new Error('wait deadline passed')), o.waitTimeoutMs);
  const onClose = (): void => {
    if (!ctx.res.writableEnded) controller.abort(new Error('client went away'));
  };
  ctx.req.socket.once('close', onClose);
  try {
    return await work(controller.signal);
  } finally {
    timer.cancel();
    ctx.req.socket.off('close', onClose);
  }
}
