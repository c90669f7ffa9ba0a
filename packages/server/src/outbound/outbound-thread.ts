import { Worker, type WorkerOptions } from 'node:worker_threads';
import { ConfigError, type Logger } from '@iam4kube/shared';
import { createOutboundClient } from './outbound-client.js';
import type { Outbound } from './outbound.js';

/** What the outbound thread is started with (plain data: it loads the kubeconfig and builds the STS client itself). */
export interface OutboundThreadData {
  readonly kubeconfig: string | undefined;
  readonly kubeContext: string | undefined;
  readonly stsRegion: string;
  readonly stsEndpoint: string | undefined;
}

/**
 * The thread's young generation: its traffic is a few calls a second, and V8's default (sized for a main thread
 * serving requests) kept about 30 MiB more resident (measured: RSS of the idle binary 238 MiB with the default,
 * 200-210 MiB with 8 MiB; 141-144 MiB before the thread existed).
 */
const YOUNG_GENERATION_MB = 8;

export interface OutboundThread {
  readonly outbound: Outbound;
  /** False once the thread has died: the liveness probe fails and the kubelet restarts the container. */
  alive(): boolean;
  stop(): Promise<void>;
}

/**
 * Starts the outbound thread (outbound-worker.ts) and resolves once its adapters are built; rejects when it fails to
 * start, with a ConfigError when the kubeconfig is bad (the thread loads it). If it dies later, every call in flight
 * and every later one fails, the death is logged, and alive() turns false.
 */
export async function startOutboundThread(data: OutboundThreadData, logger: Logger): Promise<OutboundThread> {
  // From the build: the compiled worker next to this file. From the sources (tests run them with tsx): the source,
  // loaded through tsx in the worker too.
  const options = { workerData: data, name: 'iam4kube-outbound', resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } };
  const worker = import.meta.url.endsWith('.ts') ? sourceWorker(new URL('./outbound-worker.ts', import.meta.url), options) : new Worker(new URL('./outbound-worker.js', import.meta.url), options);
  const client = createOutboundClient(worker);
  let alive = true;
  let stopping = false;
  const died = (err: Error): void => {
    if (!alive) return;
    alive = false;
    client.fail(err);
    if (!stopping) logger.error({ err }, 'the outbound thread (Kubernetes API and STS calls) died: liveness fails from now on');
  };
  await new Promise<void>((resolve, reject) => {
    const onMessage = (m: unknown): void => {
      const message = m as { kind?: string; message?: string };
      if (message.kind === 'config-error') {
        reject(new ConfigError(message.message ?? 'bad kubeconfig'));
        void worker.terminate();
        return;
      }
      if (message.kind !== 'ready') return;
      worker.off('message', onMessage);
      worker.off('error', onError);
      resolve();
    };
    const onError = (err: unknown): void => reject(new Error(`the outbound thread failed to start: ${(err as Error | undefined)?.message ?? String(err)}`));
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', (code) => reject(new Error(`the outbound thread exited (code ${code}) while starting`)));
  });
  worker.on('error', died);
  worker.on('exit', (code) => died(new Error(`the outbound thread exited (code ${code})`)));
  return {
    outbound: client,
    alive: () => alive,
    async stop() {
      stopping = true;
      died(new Error('the outbound thread was stopped'));
      await worker.terminate();
    },
  };
}

/** A worker running a TypeScript source: registers tsx in the worker (loader hooks are not inherited), then loads it. */
function sourceWorker(script: URL, options: WorkerOptions): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(script.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}
