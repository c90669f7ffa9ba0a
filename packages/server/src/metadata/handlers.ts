import type { Clock, Logger } from '@iam4kube/shared';
import type { Resolution } from '../identity/resolver.js';
import type { PodRecord } from '../kube/pod-record.js';
import { CredentialsError } from '../credentials/credentials.js';
import type { Kernel } from './kernel.js';
import type { TokenSigner } from './imds-token.js';
import { parseTokenTtl } from './imds-token.js';
import { HttpError, notFound } from './http-error.js';
import type { RenderedAnswers } from './rendered-answers.js';
import { LISTINGS, identityDocument, type Placement } from './listings.js';
import { credentialsFailedEvent, resolutionEvents, type PodEvent, type PodEventRecorder } from './pod-events.js';
import { withinDeadline } from './deadline.js';
import type { MetadataMetrics } from './metadata-metrics.js';
import type { MetadataContext } from './request-guard.js';
import type { RouteName } from './paths.js';

export interface HandlerOptions {
  readonly kernel: Kernel;
  readonly tokens: TokenSigner;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: MetadataMetrics;
  readonly waitTimeoutMs: number;
  readonly events?: PodEventRecorder | undefined;
  /** Credentials documents rendered once per issued credentials (shared with the fast path). */
  readonly rendered: RenderedAnswers;
}

type Handler = (ctx: MetadataContext) => Promise<void> | void;

/** One handler per route. Handlers answer or throw an HttpError; they never see a request the guard refused. */
export function createHandlers(o: HandlerOptions): Readonly<Record<RouteName, Handler>> {
  const report = (events: readonly PodEvent[]): void => {
    for (const event of events) o.events?.record(event);
  };

  /** Who is calling (waiting while the cluster catches up); the pod and role go into the request's log line. */
  const resolve = async (ctx: MetadataContext): Promise<Resolution> => {
    const found = await withinDeadline(o, 'caller', ctx.res, (signal) => o.kernel.resolve(ctx.state.ip, signal));
    const pod = 'pod' in found ? found.pod : undefined;
    if (pod) ctx.state.pod = `${pod.namespace}/${pod.name}`;
    if (found.kind === 'role') ctx.state.roleArn = found.binding.roleArn;
    return found;
  };

  const roleName = async (ctx: MetadataContext): Promise<void> => {
    const found = await resolve(ctx);
    if (found.kind !== 'role') {
      report(resolutionEvents(found, false));
      throw notFound();
    }
    text(ctx, found.binding.roleName);
  };

  const credentials = (extended: boolean) => async (ctx: MetadataContext): Promise<void> => {
    const found = await resolve(ctx);
    if (found.kind !== 'role') {
      report(resolutionEvents(found, false));
      throw notFound();
    }
    // Another name: not the caller's role (perhaps the one it had before its ServiceAccount changed).
    if (found.binding.roleName !== ctx.state.matched?.role) throw notFound();
    const { binding } = found;
    const issued = await withinDeadline(o, 'credentials', ctx.res, (signal) => o.kernel.credentials(binding, signal)).catch(
      (err: unknown) => {
        const problem = err instanceof Error ? err.message : String(err);
        if (!ctx.res.writableEnded && !ctx.req.socket.destroyed) {
          o.logger.warn({ ip: ctx.state.ip, pod: ctx.state.pod, roleArn: binding.roleArn, err: problem }, 'credentials unavailable');
          report([credentialsFailedEvent(found.pod, binding.roleArn, problem, err instanceof CredentialsError && err.permanent)]);
        }
        throw new HttpError(503, 'Service Unavailable');
      },
    );
    report(resolutionEvents(found, true));
    ctx.type = 'application/json';
    ctx.body = o.rendered.credentials(issued, extended ? binding.roleArn : undefined).body;
  };

  const placement = async (ctx: MetadataContext): Promise<Placement | undefined> => {
    const pod = callerPod(await resolve(ctx));
    return pod?.nodeName ? o.kernel.placement(pod.nodeName) : undefined;
  };

  return {
    token(ctx) {
      const ttl = parseTokenTtl(ctx.get('x-aws-ec2-metadata-token-ttl-seconds') || undefined);
      if (ttl === undefined) throw new HttpError(400, 'Bad Request');
      ctx.set('x-aws-ec2-metadata-token-ttl-seconds', String(ttl));
      text(ctx, o.tokens.issue(ctx.state.ip, ttl, o.clock.now()));
      o.metrics.token('issued');
    },
    'meta-data': (ctx) => text(ctx, LISTINGS['meta-data']),
    iam: (ctx) => text(ctx, LISTINGS.iam),
    'credentials-list': roleName,
    'credentials-extended-list': roleName,
    credentials: credentials(false),
    'credentials-extended': credentials(true),
    placement: (ctx) => text(ctx, LISTINGS.placement),
    async 'availability-zone'(ctx) {
      const zone = (await placement(ctx))?.zone;
      if (!zone) throw notFound();
      text(ctx, zone);
    },
    async region(ctx) {
      const region = (await placement(ctx))?.region;
      if (!region) throw notFound();
      text(ctx, region);
    },
    dynamic: (ctx) => text(ctx, LISTINGS.dynamic),
    'instance-identity': (ctx) => text(ctx, LISTINGS['instance-identity']),
    async 'identity-document'(ctx) {
      const document = identityDocument(await placement(ctx));
      if (!document) throw notFound();
      ctx.type = 'application/json';
      ctx.body = document;
    },
  };
}

function text(ctx: MetadataContext, body: string): void {
  ctx.type = 'text/plain';
  ctx.body = body;
}

/** The one pod at the caller's IP, whether or not it gets credentials (placement does not depend on a role). */
export function callerPod(found: Resolution): PodRecord | undefined {
  if ('pod' in found && found.pod) return found.pod;
  const pods = found.kind === 'refused' ? found.pods : undefined;
  // Several pods claim the IP: still one answer when they all run on the same node.
  if (pods && pods.length > 0 && pods.every((p) => p.nodeName === pods[0]!.nodeName)) return pods[0];
  return undefined;
}
