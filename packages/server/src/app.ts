import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { DestinationStream } from 'pino';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  AuxServer,
  Reflector,
  createLogger,
  createMetricsRegistry,
  sleep,
  systemClock,
  type Clock,
  type Logger,
  type Registry,
} from '@iam4kube/shared';
import type { ServerConfig } from './config.js';
import { KeyedWaiters } from './identity/keyed-waiters.js';
import { POD_CACHE_LIVE_KEY, SERVICE_ACCOUNT_PROGRESS_KEY, ipKey, resolveCaller, roleNow, serviceAccountWaitKey } from './identity/resolver.js';
import { PodCacheGuard } from './identity/pod-cache-guard.js';
import { IdentityWarnings } from './identity/identity-warnings.js';
import { ServiceAccountCatchUp } from './identity/service-account-catch-up.js';
import { PodIndex } from './kube/pod-index.js';
import { POD_FIELD_SELECTOR } from './kube/pod-record.js';
import { NodeIndex } from './kube/node-index.js';
import { KubeEventRecorder } from './kube/event-recorder.js';
import { ServiceAccountIndex, type ServiceAccountRecord } from './kube/service-account-index.js';
import { NamespaceIndex } from './kube/namespace-index.js';
import { CacheRevision } from './kube/cache-revision.js';
import { namespaceWaitKey } from './identity/resolver.js';
import { createNamespacePolicyReporter } from './identity/namespace-policy-reporter.js';
import { createPodRoleBindings, normalizeBaseRoleArn } from './identity/pod-role-binding.js';
import { ROLE_NOT_PERMITTED_REASON, type PodEventRecorder } from './metadata/pod-events.js';
import { createCredentialsEngine } from './credentials/engine.js';
import type { Assumer, Limiter } from './credentials/credentials.js';
import { createMetadataListener } from './metadata/request-listener.js';
import type { Outbound } from './outbound/outbound.js';
import { startOutboundThread } from './outbound/outbound-thread.js';
import type { InstantAnswers } from './metadata/fast-path.js';
import { createMetadataMetrics } from './metadata/metadata-metrics.js';
import { createTokenSigner } from './metadata/imds-token.js';
import type { Kernel } from './metadata/kernel.js';
import { MetadataServer } from './metadata/http-server.js';
import { readTokenKey } from './metadata/token-key-file.js';

/** What tests (and the demo) may replace; production passes nothing. */
export interface ServerOverrides {
  readonly clock?: Clock;
  readonly assumer?: Assumer;
  /** A rate limiter on the test's clock (production: bottleneck, which keeps real time). */
  readonly limiter?: Limiter & { stop(): void | Promise<void> };
  readonly kubeConfig?: KubeConfig;
  readonly logStream?: DestinationStream;
}

export interface RunningServer {
  readonly metadataAddress: AddressInfo;
  readonly auxAddress: AddressInfo;
  readonly logger: Logger;
  readonly registry: Registry;
  /** The readiness gate: caches synced and every live credentials entry settled (credentials/readiness.ts). */
  ready(): boolean;
  /** Graceful shutdown: not ready at once, keep serving for the shutdown delay, drain, close. */
  stop(): Promise<void>;
}

/** Wires the server: start-up is staged (aux port, caches, metadata port); shutdown runs in reverse. */
export async function startServer(config: ServerConfig, overrides: ServerOverrides = {}): Promise<RunningServer> {
  const clock = overrides.clock ?? systemClock;
  const logger = createLogger({ level: config.logLevel, base: { app: 'iam4kube-server' }, ...(overrides.logStream ? { stream: overrides.logStream } : {}) });
  const registry = createMetricsRegistry();
  if (config.tokenKeyFile === undefined) logger.warn('no --token-key-file: IMDSv2 tokens issued here are valid on this replica only');
  const tokens = createTokenSigner(config.tokenKeyFile === undefined ? {} : { key: readTokenKey(config.tokenKeyFile) });

  // Kubernetes API and STS calls: on a thread of their own in production (outbound/outbound.ts says why), which also
  // loads the kubeconfig (a bad one is the usual one-line configuration error); inline when a test injects the
  // KubeConfig or the Assumer.
  const thread =
    overrides.kubeConfig || overrides.assumer
      ? undefined
      : await startOutboundThread({ kubeconfig: config.kubeconfig, kubeContext: config.kubeContext, stsRegion: config.stsRegion, stsEndpoint: config.stsEndpoint }, logger);
  const outbound: Outbound = thread?.outbound ?? (await inlineAdapters(config, overrides, clock));

  const waiters = new KeyedWaiters();
  // Kubernetes Events (best effort, deduplicated); the identity engine reports cluster states that leave a pod
  // without its role (docs/identity.md), the metadata API what happens to requests.
  const events = new KubeEventRecorder({ writer: outbound.events, clock, logger, component: 'iam4kube-server', instance: hostname() });
  const warnings = new IdentityWarnings({ events, logger, serviceAccounts: { get: (namespace, name) => serviceAccounts.get(namespace, name) } });
  // --namespace-restrictions and --pod-role-annotation (docs/identity.md): Namespace role policies, parsed once per
  // Namespace change and consulted by the resolver and the prefetch alike, and pods' own role annotations.
  const base = config.baseRoleArn === undefined ? undefined : normalizeBaseRoleArn(config.baseRoleArn);
  const baseRoleArn = base?.ok ? base.value : undefined;
  const podRoleAnnotation = config.podRoleAnnotation || undefined;
  const podRoles = podRoleAnnotation === undefined ? undefined : createPodRoleBindings({ annotation: podRoleAnnotation, baseRoleArn });
  const policyReporter = createNamespacePolicyReporter({ events, logger, registry });
  const namespaces = !config.namespaceRestrictions
    ? undefined
    : new NamespaceIndex({
        baseRoleArn,
        listener: {
          namespaceChanged(name, record, previous) {
            policyReporter.namespaceChanged(name, record, previous);
            credentials.namespaceChanged(name);
            waiters.notify(namespaceWaitKey(name));
          },
        },
      });
  // The metadata API's request Events; a denied role is also counted there.
  const requestEvents: PodEventRecorder = {
    record(event, at) {
      if (event.reason === ROLE_NOT_PERMITTED_REASON) policyReporter.denied();
      events.record(event, at);
    },
  };
  // While the pod watch is not live, a role is served only after the API server confirms the pod still holds the IP.
  const podGuard = new PodCacheGuard({ reader: outbound.pods, clock, logger, onLive: () => waiters.notify(POD_CACHE_LIVE_KEY) });
  const pods = new PodIndex({
    ipChanged: (ip) => waiters.notify(ipKey(ip)),
    ambiguousIp: (ip, found) => warnings.ambiguousIp(ip, found),
    hostNetworkPodChanged: (record, previous) => warnings.hostNetworkPodChanged(record, previous),
    progress: (rv) => podGuard.progress(rv),
    connected: (open) => podGuard.connected(open),
    annotatedPodChanged: (record, previous) => credentials.annotatedPodChanged(record, previous),
  }, { roleAnnotation: podRoleAnnotation });
  const nodes = new NodeIndex();
  const credentials = createCredentialsEngine({
    config,
    clock,
    logger,
    registry,
    pods: () => pods.all(),
    events,
    serviceAccount: (namespace, name) => serviceAccounts.get(namespace, name),
    ...(namespaces ? { policy: namespaces } : {}),
    ...(podRoles ? { podRoles } : {}),
    assumer: outbound.sts,
    ...(overrides.limiter ? { limiter: overrides.limiter } : {}),
  });
  const serviceAccounts = new ServiceAccountIndex({
    serviceAccountChanged(_key, record, previous) {
      credentials.serviceAccountChanged(record, previous);
      warnings.serviceAccountChanged(record, previous);
      const sa = (record ?? previous) as ServiceAccountRecord;
      waiters.notify(serviceAccountWaitKey(sa.namespace, sa.name));
    },
    progress: () => waiters.notify(SERVICE_ACCOUNT_PROGRESS_KEY),
  });
  // Every change to the caches goes through a reflector's sink: the revision moves with each (the fast path's memo).
  const revision = new CacheRevision();
  const reflectors = [
    new Reflector({
      name: 'pods',
      // Pods in a terminal phase never get credentials; the API server can leave them out.
      source: outbound.listWatcher({ path: '/api/v1/pods', fieldSelector: POD_FIELD_SELECTOR }),
      sink: revision.watch(pods),
      clock,
      logger,
    }),
    // ServiceAccounts and Nodes: annotations and labels are all we read, so metadata only (PartialObjectMetadata).
    new Reflector({ name: 'serviceaccounts', source: outbound.listWatcher({ path: '/api/v1/serviceaccounts', metadataOnly: true }), sink: revision.watch(serviceAccounts), clock, logger }),
    new Reflector({ name: 'nodes', source: outbound.listWatcher({ path: '/api/v1/nodes', metadataOnly: true }), sink: revision.watch(nodes), clock, logger }),
    // --namespace-restrictions: Namespaces, metadata only; readiness waits for their first list like the others.
    ...(namespaces ? [new Reflector({ name: 'namespaces', source: outbound.listWatcher({ path: '/api/v1/namespaces', metadataOnly: true }), sink: revision.watch(namespaces), clock, logger })] : []),
  ];
  const serviceAccountReflector = reflectors[1]!;
  const catchUp = new ServiceAccountCatchUp({
    probe: outbound.serviceAccounts,
    watchedVersion: () => serviceAccountReflector.resourceVersion,
    clock,
    logger,
  });

  const resolverDeps = { pods, serviceAccounts, waiters, catchUp, podGuard, ...(namespaces ? { policy: namespaces } : {}), ...(podRoles ? { podRoles } : {}) };
  const kernel: Kernel = {
    resolve: (ip, signal) => resolveCaller(resolverDeps, ip, signal),
    credentials: (binding, signal) => credentials.credentials(binding, signal),
    placement: (nodeName) => nodes.get(nodeName),
  };
  const metadataMetrics = createMetadataMetrics(registry);
  // Answers already in memory, for the metadata API's synchronous fast path (metadata/fast-path.ts).
  const instant: InstantAnswers = {
    role: (ip) => roleNow(resolverDeps, ip),
    credentials: (binding, now) => credentials.store.peek(binding, now),
    revision: () => revision.value,
  };
  const metadataListener = createMetadataListener({ kernel, instant, tokens, clock, logger, metrics: metadataMetrics, waitTimeoutMs: config.waitTimeout, imdsV1: config.imdsV1, events: requestEvents });
  // In-flight requests end by their own wait deadline; the bound only cuts connections that outlive it.
  const http = new MetadataServer({
    host: config.metadataHost,
    port: config.metadataPort,
    handler: metadataListener,
    clock,
    logger,
    metrics: metadataMetrics,
    drainTimeoutMs: config.waitTimeout + 5000,
  });

  let stopping = false;
  // Caches synced and every live credentials entry settled; then ready until shutdown (credentials/readiness.ts).
  const readiness = credentials.readinessGate({ caches: () => reflectors, stopping: () => stopping });
  const ready = (): boolean => readiness().ok;
  const aux = new AuxServer({
    host: config.auxHost,
    port: config.auxPort,
    registry,
    probes: {
      health: () => ({ ok: thread?.alive() ?? true }),
      ready: readiness,
    },
  });

  let auxAddress: AddressInfo;
  try {
    auxAddress = await aux.start();
  } catch (err) {
    await thread?.stop();
    throw err;
  }
  for (const r of reflectors) r.start();
  let metadataAddress: AddressInfo;
  try {
    // Bound at once, before the caches have synced: a request that comes early waits for the watch to deliver its
    // pod (up to --wait-timeout); the token PUT never waits. Readiness stays false until the caches are synced.
    metadataAddress = await http.start();
  } catch (err) {
    await Promise.all(reflectors.map((r) => r.stop()));
    await thread?.stop();
    await aux.stop();
    throw err;
  }
  logger.info({ metadata: metadataAddress, aux: auxAddress }, 'iam4kube server started');

  return {
    metadataAddress,
    auxAddress,
    logger,
    registry,
    ready,
    async stop() {
      stopping = true;
      // Responses close their connections from now on, so keep-alive clients reconnect to a replica that is ready.
      http.drain();
      logger.info({ delayMs: config.shutdownDelay }, 'not ready any more; serving until the shutdown delay has passed');
      await sleep(clock, config.shutdownDelay);
      logger.info('no longer accepting connections; finishing the requests in flight');
      await http.stop();
      await Promise.all(reflectors.map((r) => r.stop()));
      await credentials.stop();
      await events.stop();
      await thread?.stop();
      await aux.stop();
    },
  };
}

/**
 * The outbound adapters on this thread, for tests that inject a KubeConfig or an Assumer. Loaded on demand: the Kubernetes
 * client and the AWS SDK are otherwise only ever loaded by the outbound thread (about 27 MiB of heap and 67 MiB of RSS
 * for the Kubernetes client alone; `@iam4kube/shared/kube` says so).
 */
async function inlineAdapters(config: ServerConfig, overrides: ServerOverrides, clock: Clock): Promise<Outbound> {
  const { loadKubeConfig } = await import('@iam4kube/shared/kube');
  const { inlineOutbound } = await import('./outbound/inline-outbound.js');
  const kubeConfig = overrides.kubeConfig ?? loadKubeConfig({ path: config.kubeconfig, context: config.kubeContext });
  const sts = overrides.assumer ?? (await import('./credentials/sts-assumer.js')).createStsAssumer({ region: config.stsRegion, endpoint: config.stsEndpoint, now: () => clock.now() });
  return inlineOutbound(kubeConfig, sts);
}
