import type { AddressInfo } from 'node:net';

import type { KubeConfig } from '@kubernetes/client-node';
import type { DestinationStream } from 'pino';

import {
  AuxServer,
  Reflector,
  createLogger,
  createMetricsRegistry,
  systemClock,
  type Clock,
  type Logger,
  type Registry,
} from '@iam4kube/shared';
import { createKubeListWatcher, loadKubeConfig } from '@iam4kube/shared/kube';

import type { Ip2serviceConfig } from './config.js';
import { flushConntrack } from './conntrack.js';
import { createDesiredState, type DesiredState } from './desired-state.js';
import { SERVICE_NAME_LABEL, selectEndpoints, type EndpointSelector } from './endpoints.js';
import { createSpawnExec, type Exec } from './exec.js';
import type { IpFamily } from './ip-family.js';
import { createIptablesCli, detectIptablesMode, type IptablesMode } from './iptables-cli.js';
import { IptablesError } from './iptables.js';
import { createKubeNodeClient } from './kube-node-client.js';
import { createIp2serviceMetrics } from './metrics.js';
import { removeNodeTaint, type NodeClient } from './node-taint.js';
import { createSyncProbes, syncAgeMs } from './probes.js';
import { EndpointSliceCache } from './slice-cache.js';
import { SyncRunner } from './sync-runner.js';
import { createSyncer, type SyncReport } from './syncer.js';

/** IPv4 only for now; ip-family.ts holds everything an IPv6 agent (fd00:ec2::254, ip6tables) would change. */
const FAMILY: IpFamily = 'IPv4';
/** iptables -w may wait on the xtables lock forever; a command that takes longer is killed and the sync retried. */
const EXEC_TIMEOUT_MS = 30_000;

/** What tests may replace; production passes nothing. */
export interface Ip2serviceOverrides {
  readonly clock?: Clock;
  /** Runs iptables, iptables-restore, iptables-*-save and conntrack. */
  readonly exec?: Exec;
  readonly kubeConfig?: KubeConfig;
  readonly nodeClient?: NodeClient;
  readonly logStream?: DestinationStream;
}

export interface RunningIp2service {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly auxAddress: AddressInfo;
  readonly iptablesMode: IptablesMode;
  /** True from the first successful sync on: the rules are in place. */
  ready(): boolean;
  /** Stops watching and syncing; the rules stay in place (fail closed). */
  stop(): Promise<void>;
}

/**
 * Wires the agent. Start-up is staged: the aux port, the iptables backend, the EndpointSlice watch; the sync runner
 * starts once the watch has listed, so the first sync already knows every backend. Shutdown runs in reverse and
 * leaves the rules in place: between two agents (an upgrade, a crash) pods' metadata traffic keeps going to the
 * servers, or is rejected, and never reaches the node's own credentials.
 */
export async function startIp2service(config: Ip2serviceConfig, overrides: Ip2serviceOverrides = {}): Promise<RunningIp2service> {
  const clock = overrides.clock ?? systemClock;
  const startedAt = clock.now();
  const logger = createLogger({ level: config.logLevel, base: { app: 'ip2service' }, ...(overrides.logStream ? { stream: overrides.logStream } : {}) });
  const registry = createMetricsRegistry();
  const kubeConfig = overrides.kubeConfig ?? loadKubeConfig({ path: config.kubeconfig, context: config.kubeContext });
  const exec = overrides.exec ?? createSpawnExec({ timeoutMs: EXEC_TIMEOUT_MS });

  const iptablesMode = config.iptablesMode === 'auto' ? await detectIptablesMode(exec) : config.iptablesMode;
  logger.info({ iptablesMode, configured: config.iptablesMode }, 'iptables backend chosen');
  const iptables = createIptablesCli({ exec, family: FAMILY, mode: iptablesMode });

  const selector: EndpointSelector = {
    namespace: config.serviceNamespace,
    serviceName: config.serviceName,
    portName: config.servicePortName,
    family: FAMILY,
  };
  // Event handlers only record and poke the runner; every sync recomputes the whole state from the cache.
  const cache = new EndpointSliceCache({ onChange: () => runner.request() });
  const desiredState = (): DesiredState => {
    const selection = selectEndpoints(cache.slices(), selector);
    return createDesiredState({
      family: FAMILY,
      service: `${config.serviceNamespace}/${config.serviceName}:${config.servicePortName}`,
      metadataAddress: config.metadataAddress,
      metadataPort: config.metadataPort,
      backends: selection.backends,
      excludedSources: config.excludeServerPods ? selection.serverAddresses : [],
    });
  };
  const syncer = createSyncer({ iptables, desiredState });

  const abort = new AbortController();
  const background: Array<Promise<void>> = [];
  /** Runs once the rules are first in place; never rejects. */
  const afterFirstSync = async (): Promise<void> => {
    const flushed = await flushConntrack(exec, { address: config.metadataAddress, port: config.metadataPort });
    const target = `${config.metadataAddress}:${config.metadataPort}`;
    if (flushed.kind === 'flushed') logger.info({ entries: flushed.entries, target }, 'conntrack entries to the metadata address flushed');
    else if (flushed.kind === 'nothing') logger.info({ target }, 'no conntrack entry to the metadata address to flush');
    else if (flushed.kind === 'missing') {
      logger.warn({ target }, 'conntrack is not installed: connections pods opened to the real metadata service before the rules existed may persist until they close');
    } else logger.warn({ target, err: flushed.message }, 'cannot flush conntrack entries: connections opened to the real metadata service before the rules existed may persist until they close');
    if (config.removeTaint !== undefined && config.nodeName !== undefined) {
      await removeNodeTaint({
        client: overrides.nodeClient ?? createKubeNodeClient(kubeConfig),
        nodeName: config.nodeName,
        key: config.removeTaint,
        clock,
        logger,
        signal: abort.signal,
      });
    }
  };

  const metrics = createIp2serviceMetrics({ registry, syncAgeMs: () => syncAgeMs(clock, startedAt, runner) });
  let lastBackends: number | undefined;
  const runner: SyncRunner<SyncReport> = new SyncRunner<SyncReport>({
    clock,
    sync: () => syncer.sync(),
    minIntervalMs: config.minSyncInterval,
    resyncPeriodMs: config.resyncPeriod,
    backoff: { initialMs: 1000, maxMs: Math.min(30_000, config.resyncPeriod) },
    onSuccess({ reason, durationMs, result }) {
      metrics.syncSucceeded({ durationMs, backends: result.backends, jumpsRepaired: result.jumpsRepaired });
      const first = lastBackends === undefined;
      const fields = { reason, durationMs, ...result };
      if (!first && result.jumpsRepaired > 0) logger.warn(fields, 'rules synced; jump rules were missing or not first (flushed or reordered by someone else) and were repaired');
      else if (result.backends === 0 && lastBackends !== 0) logger.warn(fields, 'rules synced; no ready server endpoint: pods\' metadata connections are rejected');
      else if (first || result.backends !== lastBackends || result.staleChainsDeleted > 0) logger.info(fields, 'rules synced');
      else logger.debug(fields, 'rules synced');
      lastBackends = result.backends;
      if (first) background.push(afterFirstSync().catch((err: unknown) => logger.error({ err }, 'after-first-sync tasks failed')));
    },
    onFailure(error, { reason, durationMs, consecutiveFailures, retryInMs }) {
      metrics.syncFailed({ durationMs });
      const iptablesDetails =
        error instanceof IptablesError
          ? { command: error.command.join(' '), exitCode: error.exitCode, stderr: error.stderr.trim(), ...(error.context ? { lines: error.context.split('\n') } : {}) }
          : {};
      logger.error(
        { reason, durationMs, consecutiveFailures, retryInMs, err: (error as Error).message.split('\n')[0], ...iptablesDetails },
        'sync failed; the rules already in place stay until a sync succeeds',
      );
    },
  });

  const reflector = new Reflector({
    name: 'endpointslices',
    source: createKubeListWatcher(kubeConfig, {
      path: `/apis/discovery.k8s.io/v1/namespaces/${config.serviceNamespace}/endpointslices`,
      labelSelector: `${SERVICE_NAME_LABEL}=${config.serviceName}`,
    }),
    sink: cache,
    clock,
    logger,
  });
  const aux = new AuxServer({
    host: config.auxHost,
    port: config.auxPort,
    registry,
    probes: createSyncProbes({ clock, startedAt, maxSyncAgeMs: config.healthMaxSyncAge, status: () => runner }),
  });

  const auxAddress = await aux.start();
  let stopping = false;
  reflector.start();
  // whenSynced never rejects; it never resolves either when stopped before the first list, which is fine.
  void reflector.whenSynced().then(() => {
    if (stopping) return;
    logger.info({ slices: cache.size }, 'endpoint slices listed; starting to sync');
    runner.start();
  });
  logger.info({ aux: auxAddress, service: `${config.serviceNamespace}/${config.serviceName}`, metadata: `${config.metadataAddress}:${config.metadataPort}` }, 'ip2service started');

  return {
    logger,
    registry,
    auxAddress,
    iptablesMode,
    ready: () => runner.lastSuccessAt !== undefined,
    async stop() {
      stopping = true;
      abort.abort(new Error('ip2service stopping'));
      await runner.stop();
      await reflector.stop();
      await Promise.all(background);
      await aux.stop();
      logger.info('stopped; iptables rules left in place (fail closed); "ip2service cleanup" removes them');
    },
  };
}
