import Koa, { type Next } from 'koa';
import type { Clock, Logger } from '@iam4kube/shared';
import type { Kernel } from './kernel.js';
import type { TokenSigner } from './imds-token.js';
import { HttpError } from './http-error.js';
import { callerIp } from './caller.js';
import type { MetadataMetrics } from './metadata-metrics.js';
import type { PodEventRecorder } from './pod-events.js';
import { createHandlers } from './handlers.js';
import { createRenderedAnswers, type RenderedAnswers } from './rendered-answers.js';
import { requestGuard, requestPath, type ImdsV1Policy, type MetadataContext, type RequestState } from './request-guard.js';

export interface MetadataAppOptions {
  readonly kernel: Kernel;
  readonly tokens: TokenSigner;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: MetadataMetrics;
  /** How long a request may wait for the cluster to catch up (pod not seen yet, credentials in flight). */
  readonly waitTimeoutMs: number;
  /** `disabled`: requests without a valid IMDSv2 token get 401 (default `allowed`). */
  readonly imdsV1?: ImdsV1Policy;
  /** Kubernetes Events about the pods' requests (role found, no role, ...); none when absent. */
  readonly events?: PodEventRecorder | undefined;
  /** Answers rendered once (shared with the fast path); a cache of its own when absent. */
  readonly rendered?: RenderedAnswers;
}

const CLIENT_GONE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/**
 * The metadata API: a whitelist (see paths.ts and docs/metadata-api.md). Only the routes there answer; everything
 * else is a 404, and nothing is ever proxied to the real metadata service. Errors go down one path: handlers throw
 * an HttpError, the outer middleware maps it to a status and a client-safe text, logs and counts.
 */
export function createMetadataApp(o: MetadataAppOptions): Koa<RequestState> {
  const app = new Koa<RequestState>();
  app.proxy = false; // the caller is the socket's address; proxy headers are never trusted
  // Errors in middleware are logged by observe(); what Koa itself reports (e.g. a failed response stream) goes to the
  // log too, instead of Koa's default print to stderr.
  app.silent = true;
  app.on('error', (err: NodeJS.ErrnoException & { headerSent?: boolean }) => {
    // A client that hangs up mid-response (an SDK timing out) is routine, not an error of ours.
    if (err.headerSent || CLIENT_GONE.has(err.code ?? '')) o.logger.debug({ code: err.code }, 'client went away during the response');
    else o.logger.error({ err }, 'error writing a metadata response');
  });
  const handlers = createHandlers({ ...o, rendered: o.rendered ?? createRenderedAnswers() });
  app.use(observe(o));
  app.use(requestGuard({ ...o, imdsV1: o.imdsV1 ?? 'allowed' }));
  app.use(async (ctx: MetadataContext) => {
    await handlers[ctx.state.route as keyof typeof handlers](ctx);
  });
  return app;
}

/** The one error path, the request metrics and the request's debug line (which never holds a secret). */
function observe(o: MetadataAppOptions) {
  return async (ctx: MetadataContext, next: Next): Promise<void> => {
    const started = o.clock.now();
    o.metrics.inFlight(1);
    ctx.state.ip = callerIp(ctx.req.socket.remoteAddress);
    ctx.state.route = 'other';
    try {
      await next();
    } catch (err) {
      const known = err instanceof HttpError ? err : undefined;
      if (!known) o.logger.error({ err, path: loggedPath(ctx), ip: ctx.state.ip, route: ctx.state.route }, 'unexpected error in metadata handler');
      ctx.status = known?.status ?? 500;
      ctx.type = 'text/plain';
      ctx.body = known?.publicMessage ?? 'Internal Server Error';
      for (const [k, v] of Object.entries(known?.headers ?? {})) ctx.set(k, v);
    } finally {
      o.metrics.inFlight(-1);
    }
    const seconds = (o.clock.now() - started) / 1000;
    o.metrics.observe(ctx.state.route, ctx.status, seconds);
    // Built only when debug is on: the request path stays cheap at info.
    if (o.logger.isLevelEnabled('debug')) {
      o.logger.debug(
        {
          method: ctx.method,
          path: loggedPath(ctx),
          ip: ctx.state.ip,
          route: ctx.state.route,
          pod: ctx.state.pod,
          roleArn: ctx.state.roleArn,
          status: ctx.status,
          ms: seconds * 1000,
        },
        'request',
      );
    }
  };
}

/** The path for a log line: at most 200 characters; the raw request target when it cannot be parsed. */
function loggedPath(ctx: MetadataContext): string {
  const path = requestPath(ctx) ?? ctx.url;
  return path.length > 200 ? `${path.slice(0, 200)}...` : path;
}
