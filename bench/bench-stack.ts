/**
 * The system under test for the benchmarks: the Kubernetes API emulator and the STS emulator in this process, the
 * real server binary (packages/server/dist) as a child process, optionally pinned to one CPU so that it never
 * shares a core with the load generator.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  startKubeApiEmulator,
  localServerEnv,
  startServerProcess,
  waitServerReady,
  startStsEmulator,
  type KubeApiEmulator,
  type KubeApiEmulatorOptions,
  type ServerProcess,
  type StsEmulator,
} from '@iam4kube/testkit';
import { ACCOUNT } from './cluster-seed.js';

export interface BenchStackOptions {
  readonly serverArgs?: readonly string[];
  readonly kube?: KubeApiEmulatorOptions;
  /** Fills the cluster before the server starts. */
  readonly seed?: (kube: KubeApiEmulator) => void;
  /** Pin the server (all its threads) to this CPU. */
  readonly cpu?: number | undefined;
  readonly logLevel?: string;
  /** How long to wait for /readyz (default 60 s). */
  readonly readyTimeoutMs?: number;
  /** The STS emulator's clock runs this far from the real one (its credentials expire that much earlier or later). */
  readonly stsClockOffsetMs?: number;
  /** More environment for the server, e.g. `NODE_OPTIONS: '--cpu-prof --cpu-prof-dir=DIR'` to profile it. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface BenchStack {
  readonly kube: KubeApiEmulator;
  readonly sts: StsEmulator;
  readonly server: ServerProcess;
  readonly metadataUrl: string;
  readonly auxUrl: string;
  /** Milliseconds from spawning the server to its first 200 on /readyz. */
  readonly msToReady: number;
  stop(): Promise<void>;
}

export async function startBenchStack(o: BenchStackOptions = {}): Promise<BenchStack> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
  };
  try {
    const work = await mkdtemp(join(tmpdir(), 'iam4kube-bench-'));
    cleanups.push(() => rm(work, { recursive: true, force: true }));
    const kube = await startKubeApiEmulator({ bookmarkIntervalMs: 0, ...o.kube });
    cleanups.push(() => kube.close());
    o.seed?.(kube);
    const kubeconfig = join(work, 'kubeconfig');
    await kube.writeKubeconfig(kubeconfig);

    const base = { accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64') };
    const offset = o.stsClockOffsetMs ?? 0;
    const sts = await startStsEmulator({ ...(offset === 0 ? {} : { now: () => Date.now() + offset }), accountId: ACCOUNT, baseCredentials: [{ ...base, arn: `arn:aws:iam::${ACCOUNT}:user/iam4kube-server` }] });
    cleanups.push(() => sts.close());

    const started = performance.now();
    const server = await startServerProcess({
      args: [
        `--kubeconfig=${kubeconfig}`,
        '--metadata-host=127.0.0.1',
        '--metadata-port=0',
        '--aux-host=127.0.0.1',
        '--aux-port=0',
        `--sts-endpoint=${sts.endpoint}`,
        '--shutdown-delay=0s',
        `--log-level=${o.logLevel ?? 'info'}`,
        ...(o.serverArgs ?? []),
      ],
      env: { ...localServerEnv(base), ...o.env },
      // The lines are kept by ServerProcess; nothing to do per line.
    });
    cleanups.push(() => server.stop());
    if (o.cpu !== undefined) pinProcess(server.child.pid!, o.cpu);
    const auxUrl = `http://127.0.0.1:${server.auxPort}`;
    await waitServerReady(auxUrl, server, o.readyTimeoutMs ?? 60_000);
    const msToReady = performance.now() - started;
    return { kube, sts, server, metadataUrl: `http://127.0.0.1:${server.metadataPort}`, auxUrl, msToReady, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Pins every thread of a process to one CPU. */
export function pinProcess(pid: number, cpu: number): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset failed: ${r.stderr}`);
}

/** The CPUs to use: server on the last, load generator on the first; none when there is a single CPU. */
export function cpuPlan(cpus: number): { server: number | undefined; load: number | undefined } {
  return cpus >= 2 ? { server: cpus - 1, load: 0 } : { server: undefined, load: undefined };
}

