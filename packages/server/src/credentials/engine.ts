import { sharedTimerClock, type Clock, type Logger, type ProbeResult, type Registry } from '@iam4kube/shared';
import type { PolicyDecision } from '../identity/namespace-policy.js';
import type { PodRoleBindings } from '../identity/pod-role-binding.js';
import { CredentialStore } from './credential-store.js';
import type { Assumer, Credentials, Limiter } from './credentials.js';
import { createBottleneckLimiter } from './bottleneck-limiter.js';
import { createCredentialsMetrics } from './credentials-metrics.js';
import { createParkedReporter, type EventRecorder, type PodRef } from './parked-reporter.js';
import { createReadinessGate, type Cache } from './readiness.js';
import { RetainedSessions, type AnnotatedPodRef, type BoundServiceAccount } from './retained-sessions.js';
import type { SessionLookup, SessionOptions } from './session-request.js';
import { SAFETY_MARGIN_MS, resolveSessionTiming } from './session-timing.js';
import { instrumentAssumer } from './sts-metrics.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** The flags the credentials engine reads (a slice of the server's config). */
export interface CredentialsConfig extends SessionOptions {
  readonly stsRegion: string;
  readonly stsEndpoint: string | undefined;
  readonly stsRate: number;
  readonly stsBurst: number;
  readonly stsTimeout: number;
  readonly sessionDuration: number;
  readonly refreshBefore: number;
}

export interface CredentialsEngineOptions {
  readonly config: CredentialsConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly registry: Registry;
  /** The pods in the cache: whom parked roles are reported on, and what makes an entry live for readiness. */
  readonly pods: () => Iterable<PodRef>;
  readonly events?: EventRecorder;
  /** The ServiceAccount cache (a pod-annotation binding is used only when its ServiceAccount has none). */
  readonly serviceAccount?: (namespace: string, name: string) => BoundServiceAccount | undefined;
  /** --namespace-restrictions: roles a Namespace does not permit are never fetched. */
  readonly policy?: { decide(namespace: string, roleArn: string): PolicyDecision | undefined };
  /** --pod-role-annotation: pods' own bindings are prefetched too. */
  readonly podRoles?: PodRoleBindings;
  /** STS: the outbound thread's client (app.ts), or a test's. */
  readonly assumer: Assumer;
  /** Test seam: a limiter on the test's clock (production: bottleneck). */
  readonly limiter?: Limiter & { stop(): void | Promise<void> };
  readonly random?: () => number;
}

export type { BoundServiceAccount, AnnotatedPodRef } from './retained-sessions.js';

export interface CredentialsEngine {
  readonly store: CredentialStore;
  /** Keeps entries in step with a ServiceAccount that appeared, changed or went away (record undefined). */
  serviceAccountChanged(record: BoundServiceAccount | undefined, previous: BoundServiceAccount | undefined): void;
  /** Keeps entries in step with a pod whose --pod-role-annotation appeared, changed or went away. */
  annotatedPodChanged(record: AnnotatedPodRef | undefined, previous: AnnotatedPodRef | undefined): void;
  /** A Namespace's role policy changed: newly permitted roles are fetched, newly forbidden ones dropped. */
  namespaceChanged(namespace: string): void;
  credentials(binding: SessionLookup, signal: AbortSignal): Promise<Credentials>;
  readinessGate(sources: { caches(): readonly Cache[]; stopping(): boolean }): () => ProbeResult;
  stop(): Promise<void>;
}

/**
 * Assembles the credentials engine from the flags: STS client (instrumented), bottleneck token bucket, store,
 * metrics, Event reporting of parked roles, and the readiness gate. Logs the start-up warnings about timing.
 */
export function createCredentialsEngine(o: CredentialsEngineOptions): CredentialsEngine {
  const { config, clock, logger } = o;
  const timing = resolveSessionTiming({ sessionDurationMs: config.sessionDuration, refreshBeforeMs: config.refreshBefore });
  for (const warning of timing.warnings) logger.warn(warning);
  if (config.clusterName !== undefined && !config.sessionTags) logger.warn('--cluster-name has no effect without --session-tags');

  const limiter = o.limiter ?? createBottleneckLimiter({ rate: config.stsRate, burst: config.stsBurst });
  const metrics = createCredentialsMetrics(o.registry);
  const store = new CredentialStore({
    assumer: instrumentAssumer(o.assumer, o.registry, () => clock.now()),
    limiter,
    // One timer underneath for every entry's refresh: each has its own delay, and Node keeps a timer list per delay
    // in the queue that keep-alive sockets' idle timeouts go in and out of on every request.
    clock: sharedTimerClock(clock),
    logger,
    sessionDurationMs: timing.sessionDurationMs,
    refreshBeforeMs: timing.refreshBeforeMs,
    safetyMarginMs: SAFETY_MARGIN_MS,
    callTimeoutMs: config.stsTimeout,
    retryInitialMs: SECOND,
    retryMaxMs: 30 * SECOND,
    parkInitialMs: 5 * MINUTE,
    parkMaxMs: 30 * MINUTE,
    metrics,
    onParked: createParkedReporter({ events: o.events, pods: o.pods, logger }),
    ...(o.random ? { random: o.random } : {}),
  });
  const retained = new RetainedSessions({
    sessions: store,
    options: config,
    serviceAccount: o.serviceAccount ?? (() => undefined),
    policy: o.policy,
    podRoles: o.podRoles,
  });
  metrics.track({ summary: () => store.summary(), queued: () => limiter.queued(), now: () => clock.now() });
  logger.info(
    {
      sessionDuration: timing.sessionDurationMs / 1000,
      refreshBefore: timing.refreshBeforeMs / 1000,
      stsRate: config.stsRate,
      stsBurst: config.stsBurst,
      sessionTags: config.sessionTags,
      sourceIdentity: config.sourceIdentity,
    },
    'credentials engine configured',
  );

  return {
    store,
    // Each retains the new session before releasing the old one (retained-sessions.ts).
    serviceAccountChanged: (record, previous) => retained.serviceAccountChanged(record, previous),
    annotatedPodChanged: (record, previous) => retained.annotatedPodChanged(record, previous),
    namespaceChanged: (namespace) => retained.namespaceChanged(namespace),
    credentials: (binding, signal) => store.get(binding, signal),
    readinessGate: (sources) =>
      createReadinessGate({ caches: sources.caches, stopping: sources.stopping, entries: () => store.entries(), pods: o.pods, logger }),
    async stop() {
      store.stop();
      await limiter.stop();
    },
  };
}
