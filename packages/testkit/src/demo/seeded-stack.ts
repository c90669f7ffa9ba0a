import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { renderKubeconfig, startKubeApiEmulator, type KubeApiEmulator, type KubeApiEmulatorOptions } from '../kube-api/index.js';
import { startStsEmulator, type StsEmulator } from '../sts/index.js';
import { localServerArgs, localServerEnv, startServerProcess, waitServerReady, type ServerProcess } from './server-process.js';
import { DEMO_ACCOUNT } from './stack.js';

/** Something placed between the server and the Kubernetes API emulator (a proxy that can be taken down). */
export interface KubeFront {
  readonly url: string;
  close(): Promise<unknown>;
}

export interface SeededStackOptions {
  /** Appended to the stack's own flags (later flags win). */
  readonly serverArgs?: readonly string[];
  /** The emulator's options; bookmarks are off unless asked for. */
  readonly kube?: KubeApiEmulatorOptions;
  /** Fills the cluster before the server starts. */
  readonly seed?: (kube: KubeApiEmulator) => void;
  /** Started after the emulator; the server is given its URL instead of the emulator's, and it is closed with the stack. */
  readonly kubeFront?: (kube: KubeApiEmulator) => Promise<KubeFront>;
  /** The STS emulator's clock runs this far from the real one (its credentials expire that much earlier or later). */
  readonly stsClockOffsetMs?: number;
  /** More environment for the server (e.g. NODE_OPTIONS to profile it). */
  readonly env?: Readonly<Record<string, string>>;
  readonly logLevel?: string;
  /** How long to wait for /readyz (default 60 s). */
  readonly readyTimeoutMs?: number;
  /** Called once the server process is up, before it is ready (e.g. to pin it to a CPU). */
  readonly spawned?: (server: ServerProcess) => void;
  /** Run the server's Node under this command (ServerProcessOptions.launcher). */
  readonly launcher?: readonly string[];
}

export interface SeededStack {
  readonly kube: KubeApiEmulator;
  readonly sts: StsEmulator;
  readonly server: ServerProcess;
  readonly metadataUrl: string;
  readonly auxUrl: string;
  /** Milliseconds from spawning the server to its first 200 on /readyz. */
  readonly msToReady: number;
  stop(): Promise<void>;
}

/**
 * A cluster filled by code (not from manifests), the STS emulator and the real server binary, all on 127.0.0.1:
 * what the benchmarks and the reliability suites run against. The server's flags are those of the demo stack.
 */
export async function startSeededStack(o: SeededStackOptions = {}): Promise<SeededStack> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const work = await mkdtemp(join(tmpdir(), 'iam4kube-seeded-'));
    cleanups.push(() => rm(work, { recursive: true, force: true }));
    const kube = await startKubeApiEmulator({ bookmarkIntervalMs: 0, ...o.kube });
    cleanups.push(() => kube.close());
    o.seed?.(kube);
    const front = await o.kubeFront?.(kube);
    if (front) cleanups.push(() => front.close());
    const kubeconfig = join(work, 'kubeconfig');
    await writeFile(kubeconfig, front ? renderKubeconfig(front.url) : kube.kubeconfig(), { mode: 0o600 });

    const base = { accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64') };
    const offset = o.stsClockOffsetMs ?? 0;
    const sts = await startStsEmulator({
      ...(offset === 0 ? {} : { now: () => Date.now() + offset }),
      accountId: DEMO_ACCOUNT,
      baseCredentials: [{ ...base, arn: `arn:aws:iam::${DEMO_ACCOUNT}:user/iam4kube-server` }],
    });
    cleanups.push(() => sts.close());

    const started = performance.now();
    const server = await startServerProcess({
      args: [...localServerArgs({ kubeconfig, stsEndpoint: sts.endpoint, ...(o.logLevel ? { logLevel: o.logLevel } : {}) }), ...(o.serverArgs ?? [])],
      env: { ...localServerEnv(base), ...o.env },
      ...(o.launcher ? { launcher: o.launcher } : {}),
    });
    cleanups.push(() => server.stop());
    o.spawned?.(server);
    const auxUrl = `http://127.0.0.1:${server.auxPort}`;
    await waitServerReady(auxUrl, server, o.readyTimeoutMs ?? 60_000);
    const msToReady = performance.now() - started;
    return { kube, sts, server, metadataUrl: `http://127.0.0.1:${server.metadataPort}`, auxUrl, msToReady, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
