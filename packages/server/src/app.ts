import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { DestinationStream } from 'pino';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  AuxServer,
  ConfigError,
  Reflector,
  closeServer,
  createKubeListWatcher,
  createLogger,
  createMetricsRegistry,
  listen,
  loadKubeConfig,
  sleep,
  systemClock,
  type Clock,
  type Logger,
  type Registry,
} from '@iam4kube/shared';
import type { ServerConfig } from './config.js';
import { KeyedWaiters } from './identity/keyed-waiters.js';
import { ipKey, resolveCaller, serviceAccountWaitKey } from './identity/resolver.js';
import { PodIndex } from './kube/pod-index.js';
import { ServiceAccountIndex, type ServiceAccountRecord } from './kube/service-account-index.js';
import { CredentialStore } from './credentials/credential-store.js';
import { createStsAssumer } from './credentials/sts-assumer.js';
import { createBottleneckLimiter } from './credentials/bottleneck-limiter.js';
import type { Assumer } from './credentials/credentials.js';
import { createMetadataApp } from './metadata/app.js';
import { createMetadataMetrics } from './metadata/metadata-metrics.js';
import { createTokenSigner } from './metadata/imds-token.js';
import type { Kernel } from './metadata/kernel.js';

/** What tests (and the demo) may replace; production passes nothing. */
export interface ServerOverrides {
  readonly clock?: Clock;
  readonly assumer?: Assumer;
  readonly kubeConfig?: KubeConfig;
  readonly logStream?: DestinationStream;
}

export interface RunningServer {
  readonly metadataAddress: AddressInfo;
  readonly auxAddress: AddressInfo;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Resolves when the caches are synced and every credentials entry is settled. */
  ready(): boolean;
  /** Graceful shutdown: not ready at once, keep serving for the shutdown delay, drain, close. */
  stop(): Promise<void>;
}

/** Wires the server: start-up is staged (aux port, caches, metadata port); shutdown runs in reverse. */
export async function startServer(config: ServerConfig, overrides: ServerOverrides = {}): Promise<RunningServer> {
  const clock = overrides.clock ?? systemClock;
  const logger = createLogger({ level: config.logLevel, base: { app: 'iam4kube-server' }, ...(overrides.logStream ? { stream: overrides.logStream } : {}) });
  const registry = createMetricsRegistry();
  const kubeConfig = overrides.kubeConfig ?? loadKubeConfig({ path: config.kubeconfig, context: config.kubeContext });
  const tokens = createTokenSigner(readTokenKey(config.tokenKeyFile, logger));

  const limiter = createBottleneckLimiter({ rate: config.stsRate, burst: config.stsBurst });
  const assumer = overrides.assumer ?? createStsAssumer({ region: config.stsRegion, endpoint: config.stsEndpoint, now: () => clock.now() });
  const store = new CredentialStore({
    assumer,
    limiter,
    clock,
    logger,
    sessionDurationMs: config.sessionDuration,
    refreshBeforeMs: config.refreshBefore,
    safetyMarginMs: 5 * 60_000,
    parkedRetryMs: 5 * 60_000,
    retryInitialMs: 1000,
    retryMaxMs: 60_000,
  });

  const waiters = new KeyedWaiters();
  const pods = new PodIndex({ ipChanged: (ip) => waiters.notify(ipKey(ip)) });
  const serviceAccounts = new ServiceAccountIndex({
    serviceAccountChanged(_key, record, previous) {
      // Retain the new binding before releasing the old one, so an entry both share is never dropped in between.
      if (record?.binding.kind === 'role') store.retain(record.binding);
      if (previous?.binding.kind === 'role') store.release(previous.binding);
      const sa = (record ?? previous) as ServiceAccountRecord;
      waiters.notify(serviceAccountWaitKey(sa.namespace, sa.name));
    },
  });
  const reflectors = [
    new Reflector({
      name: 'pods',
      // Pods in a terminal phase never get credentials; the API server can leave them out.
      source: createKubeListWatcher(kubeConfig, { path: '/api/v1/pods', fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' }),
      sink: pods,
      clock,
      logger,
    }),
    new Reflector({ name: 'serviceaccounts', source: createKubeListWatcher(kubeConfig, { path: '/api/v1/serviceaccounts' }), sink: serviceAccounts, clock, logger }),
  ];

  const kernel: Kernel = {
    resolve: (ip, signal) => resolveCaller({ pods, serviceAccounts, waiters }, ip, signal),
    credentials: (binding, signal) => store.get(binding, signal),
  };
  const metadataApp = createMetadataApp({ kernel, tokens, clock, logger, metrics: createMetadataMetrics(registry), waitTimeoutMs: config.waitTimeout });

  let stopping = false;
  const ready = (): boolean => !stopping && reflectors.every((r) => r.synced) && store.status().pending === 0;
  const aux = new AuxServer({
    host: config.auxHost,
    port: config.auxPort,
    registry,
    probes: {
      health: () => ({ ok: true }),
      ready: () => {
        const status = store.status();
        return {
          ok: ready(),
          detail: {
            stopping,
            caches: Object.fromEntries(reflectors.map((r) => [r.name, r.synced ? 'synced' : 'syncing'])),
            credentials: status,
          },
        };
      },
    },
  });

  const auxAddress = await aux.start();
  for (const r of reflectors) r.start();
  const http = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, maxHeaderSize: 16 * 1024 }, metadataApp.callback());
  http.keepAliveTimeout = 5000;
  let metadataAddress: AddressInfo;
  try {
    metadataAddress = await listen(http, { host: config.metadataHost, port: config.metadataPort, purpose: 'metadata API' });
  } catch (err) {
    await Promise.all(reflectors.map((r) => r.stop()));
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
      logger.info({ delayMs: config.shutdownDelay }, 'not ready any more; serving until the shutdown delay has passed');
      await sleep(clock, config.shutdownDelay);
      await closeHttp(http);
      await Promise.all(reflectors.map((r) => r.stop()));
      store.stop();
      await limiter.stop();
      await aux.stop();
    },
  };
}

async function closeHttp(server: Server): Promise<void> {
  const closing = closeServer(server);
  // In-flight requests finish; connections still open after a bound are cut.
  const bound = setTimeout(() => server.closeAllConnections(), 10_000);
  await closing;
  clearTimeout(bound);
}

function readTokenKey(path: string | undefined, logger: Logger): Buffer | undefined {
  if (path === undefined) {
    logger.warn('no --token-key-file: IMDSv2 tokens issued here are valid on this replica only');
    return undefined;
  }
  let key: Buffer;
  try {
    key = readFileSync(path);
  } catch (err) {
    throw new ConfigError(`cannot read --token-key-file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (key.length < 16) throw new ConfigError(`--token-key-file ${path} holds fewer than 16 bytes`);
  return key;
}
