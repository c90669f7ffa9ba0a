import { Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import {
  Reflector,
  createLogger,
  systemClock,
  type ListWatcher,
  type ReflectorSink,
  type WatchEvent,
} from '@iam4kube/shared';
import { createKubeListWatcher } from '@iam4kube/shared/kube';
import { startKubeApiEmulator, type KubeApiEmulator, type KubeApiEmulatorOptions } from '@iam4kube/testkit';
import { PodIndex } from '../../packages/server/src/kube/pod-index.js';
import { POD_FIELD_SELECTOR } from '../../packages/server/src/kube/pod-record.js';
import { NodeIndex } from '../../packages/server/src/kube/node-index.js';
import { ServiceAccountIndex, type ServiceAccountRecord } from '../../packages/server/src/kube/service-account-index.js';
import { KubeEventRecorder } from '../../packages/server/src/kube/event-recorder.js';
import { createKubeEventWriter } from '../../packages/server/src/kube/kube-event-writer.js';
import { createServiceAccountProbe } from '../../packages/server/src/kube/service-account-probe.js';
import { KeyedWaiters } from '../../packages/server/src/identity/keyed-waiters.js';
import { IdentityWarnings } from '../../packages/server/src/identity/identity-warnings.js';
import { ServiceAccountCatchUp, revision } from '../../packages/server/src/identity/service-account-catch-up.js';
import { POD_CACHE_LIVE_KEY, SERVICE_ACCOUNT_PROGRESS_KEY, ipKey, resolveCaller, serviceAccountWaitKey, type Resolution } from '../../packages/server/src/identity/resolver.js';
import { PodCacheGuard } from '../../packages/server/src/identity/pod-cache-guard.js';
import { createPodReader } from '../../packages/server/src/kube/pod-reader.js';

/**
 * The identity engine wired as app.ts wires it (reflectors over HTTP, indices, waiters, catch-up, warnings and
 * events), against the Kubernetes API emulator, without the metadata API or STS around it.
 */
export interface IdentityHarness {
  readonly api: KubeApiEmulator;
  readonly pods: PodIndex;
  readonly serviceAccounts: ServiceAccountIndex;
  readonly nodes: NodeIndex;
  readonly waiters: KeyedWaiters;
  readonly podGuard: PodCacheGuard;
  readonly reflectors: { readonly pods: Reflector; readonly serviceAccounts: Reflector; readonly nodes: Reflector };
  /** IP → time (performance.now()) of the last index change for it. */
  readonly ipChangedAt: Map<string, number>;
  /** Log lines written by the engine. */
  readonly logs: string[];
  /** Resolves when the pod watch stream next ends (the reflector has noticed). */
  podWatchEnded(): Promise<void>;
  /** Resolves when a request next starts waiting on this key (e.g. `sa:demo/app`). */
  waitingOn(key: string): Promise<void>;
  /** Starts a request for the caller at `ip`; answered when knowable or at the deadline. */
  resolve(ip: string, deadlineMs?: number): { readonly answer: Promise<Resolution>; settled(): Resolution | undefined };
  /** Resolves once the reflectors (all by default) have seen the API server's current revision (event or bookmark). */
  caughtUp(which?: ReadonlyArray<'pods' | 'serviceAccounts' | 'nodes'>): Promise<void>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  readonly emulator?: KubeApiEmulatorOptions;
  /** Wraps the ServiceAccount source, e.g. to make its watch lag. */
  readonly serviceAccountSource?: (source: ListWatcher) => ListWatcher;
  readonly backoffInitialMs?: number;
}

export const ROLE_ARN = 'arn:aws:iam::123456789012:role/app-role';

export async function startIdentityHarness(options: HarnessOptions = {}): Promise<IdentityHarness> {
  const api = await startKubeApiEmulator({ bookmarkIntervalMs: 50, ...options.emulator });
  const kc = new KubeConfig();
  kc.loadFromString(api.kubeconfig());
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', stream: new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }) });
  const waitingOn = new Map<string, Array<() => void>>();
  const waiters = new (class extends KeyedWaiters {
    override wait(key: string | readonly string[], signal: AbortSignal): Promise<void> {
      const waiting = super.wait(key, signal);
      for (const k of typeof key === 'string' ? [key] : key) for (const resolve of waitingOn.get(k)?.splice(0) ?? []) resolve();
      return waiting;
    }
  })();
  const ipChangedAt = new Map<string, number>();
  const events = new KubeEventRecorder({ writer: createKubeEventWriter(kc), clock: systemClock, logger, component: 'iam4kube-server', instance: 'test', updateDelayMs: 20 });
  let serviceAccounts!: ServiceAccountIndex;
  const warnings = new IdentityWarnings({ events, logger, serviceAccounts: { get: (ns, name) => serviceAccounts.get(ns, name) } });
  const podWatchEnded: Array<() => void> = [];
  const podGuard = new PodCacheGuard({ reader: createPodReader(kc), clock: systemClock, logger, onLive: () => waiters.notify(POD_CACHE_LIVE_KEY) });
  const pods = new PodIndex({
    progress: (rv) => podGuard.progress(rv),
    connected: (open) => {
      podGuard.connected(open);
      if (!open) for (const resolve of podWatchEnded.splice(0)) resolve();
    },
    ipChanged: (ip) => {
      ipChangedAt.set(ip, performance.now());
      waiters.notify(ipKey(ip));
    },
    ambiguousIp: (ip, found) => warnings.ambiguousIp(ip, found),
    hostNetworkPodChanged: (record, previous) => warnings.hostNetworkPodChanged(record, previous),
  });
  serviceAccounts = new ServiceAccountIndex({
    serviceAccountChanged(_key, record, previous) {
      warnings.serviceAccountChanged(record, previous);
      const sa = (record ?? previous) as ServiceAccountRecord;
      waiters.notify(serviceAccountWaitKey(sa.namespace, sa.name));
    },
    progress: () => waiters.notify(SERVICE_ACCOUNT_PROGRESS_KEY),
  });
  const nodes = new NodeIndex();

  const progressWaiters = new Set<() => void>();
  const observed = (sink: ReflectorSink): ReflectorSink => ({
    replace: (objects, rv) => sink.replace(objects, rv),
    apply: (type, obj) => sink.apply(type, obj),
    connected: (open) => sink.connected?.(open),
    progress(rv) {
      sink.progress?.(rv);
      for (const check of [...progressWaiters]) check();
    },
  });
  const common = { clock: systemClock, logger, backoffInitialMs: options.backoffInitialMs ?? 20, backoffMaxMs: 200, minWatchMs: 50 };
  const saSource = createKubeListWatcher(kc, { path: '/api/v1/serviceaccounts', metadataOnly: true });
  const reflectors = {
    pods: new Reflector({ name: 'pods', source: createKubeListWatcher(kc, { path: '/api/v1/pods', fieldSelector: POD_FIELD_SELECTOR }), sink: observed(pods), ...common }),
    serviceAccounts: new Reflector({ name: 'serviceaccounts', source: options.serviceAccountSource?.(saSource) ?? saSource, sink: observed(serviceAccounts), ...common }),
    nodes: new Reflector({ name: 'nodes', source: createKubeListWatcher(kc, { path: '/api/v1/nodes', metadataOnly: true }), sink: observed(nodes), ...common }),
  };
  const catchUp = new ServiceAccountCatchUp({ probe: createServiceAccountProbe(kc), watchedVersion: () => reflectors.serviceAccounts.resourceVersion, clock: systemClock, logger });
  const all = Object.values(reflectors);
  for (const r of all) r.start();
  await Promise.all(all.map((r) => r.whenSynced()));

  return {
    api,
    pods,
    serviceAccounts,
    nodes,
    waiters,
    podGuard,
    reflectors,
    ipChangedAt,
    logs,
    podWatchEnded() {
      return new Promise((resolve) => podWatchEnded.push(resolve));
    },
    waitingOn(key) {
      return new Promise((resolve) => waitingOn.set(key, [...(waitingOn.get(key) ?? []), resolve]));
    },
    resolve(ip, deadlineMs = 10_000) {
      let settled: Resolution | undefined;
      const answer = resolveCaller({ pods, serviceAccounts, waiters, catchUp, podGuard }, ip, AbortSignal.timeout(deadlineMs)).then((r) => (settled = r));
      return { answer, settled: () => settled };
    },
    caughtUp(which) {
      const target = Number(api.resourceVersion);
      const watched = which ? which.map((name) => reflectors[name]) : all;
      const done = (): boolean => watched.every((r) => (revision(r.resourceVersion) ?? 0) >= target);
      if (done()) return Promise.resolve();
      return new Promise((resolve) => {
        const check = (): void => {
          if (!done()) return;
          progressWaiters.delete(check);
          resolve();
        };
        progressWaiters.add(check);
      });
    },
    async stop() {
      await Promise.all(all.map((r) => r.stop()));
      await events.stop();
      await api.close();
    },
  };
}

/** A source whose watch events are held back while `lagging` is on, as a slow stream would deliver them late. */
export function laggingSource(source: ListWatcher): ListWatcher & { lagging: boolean; release(): void } {
  const held: Array<{ deliver: (e: WatchEvent) => void; event: WatchEvent }> = [];
  const wrapper = {
    lagging: false,
    release() {
      wrapper.lagging = false;
      for (const { deliver, event } of held.splice(0)) deliver(event);
    },
    list: (signal: AbortSignal) => source.list(signal),
    watch: (rv: string, onEvent: (e: WatchEvent) => void, signal: AbortSignal) =>
      source.watch(rv, (event) => (wrapper.lagging ? held.push({ deliver: onEvent, event }) : onEvent(event)), signal),
  };
  return wrapper;
}

/** An object as the emulator takes it. */
export type ApiObject = Parameters<KubeApiEmulator['create']>[0];

export function namespace(name: string): ApiObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export function serviceAccount(name: string, roleArn?: string, ns = 'demo'): ApiObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns, ...(roleArn ? { annotations: { 'iam.amazonaws.com/roleArn': roleArn } } : {}) } };
}

export function pod(name: string, serviceAccountName: string, options: { ns?: string; node?: string; hostNetwork?: boolean } = {}): ApiObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: options.ns ?? 'demo' },
    spec: {
      serviceAccountName,
      nodeName: options.node ?? 'node-1',
      ...(options.hostNetwork ? { hostNetwork: true } : {}),
      containers: [{ name: 'app', image: 'example' }],
    },
  };
}

/** Plays the kubelet: the pod runs with this IP. */
export function run(api: KubeApiEmulator, name: string, ip: string, ns = 'demo'): void {
  api.patchStatus('pods', ns, name, { phase: 'Running', podIP: ip, podIPs: [{ ip }] });
}
