/**
 * The system the reliability suites run against: the Kubernetes API emulator (optionally behind a TCP proxy that
 * can be taken down, to play an API server restart), the STS emulator, and the real server binary (built by
 * `tsc -b`, as the test command does first).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  renderKubeconfig,
  startKubeApiEmulator,
  localServerEnv,
  startServerProcess,
  waitServerReady,
  startStsEmulator,
  type KubeApiEmulator,
  type KubeApiEmulatorOptions,
  type ServerProcess,
  type StsEmulator,
} from '../../../packages/testkit/src/index.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

export const ACCOUNT = '123456789012';
export const ROLE_ANNOTATION = 'iam.amazonaws.com/roleArn';
export const roleArn = (name: string): string => `arn:aws:iam::${ACCOUNT}:role/${name}`;

export interface ReliabilityStackOptions {
  readonly serverArgs?: readonly string[];
  readonly kube?: KubeApiEmulatorOptions;
  /** Put a restartable TCP proxy between the server and the Kubernetes API emulator. */
  readonly kubeProxy?: boolean;
  readonly seed?: (kube: KubeApiEmulator) => void;
}

export interface ReliabilityStack {
  readonly kube: KubeApiEmulator;
  readonly kubeProxy: TcpProxy | undefined;
  readonly sts: StsEmulator;
  readonly server: ServerProcess;
  readonly metadataUrl: string;
  readonly auxUrl: string;
  stop(): Promise<void>;
}

export async function startReliabilityStack(o: ReliabilityStackOptions = {}): Promise<ReliabilityStack> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const work = await mkdtemp(join(tmpdir(), 'iam4kube-reliability-'));
    cleanups.push(() => rm(work, { recursive: true, force: true }));
    const kube = await startKubeApiEmulator({ bookmarkIntervalMs: 0, ...o.kube });
    cleanups.push(() => kube.close());
    o.seed?.(kube);
    let kubeProxy: TcpProxy | undefined;
    if (o.kubeProxy) {
      kubeProxy = await startTcpProxy(Number(new URL(kube.url).port));
      cleanups.push(() => kubeProxy!.close());
    }
    const kubeconfig = join(work, 'kubeconfig');
    await writeFile(kubeconfig, renderKubeconfig(kubeProxy?.url ?? kube.url), { mode: 0o600 });

    const base = { accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64') };
    const sts = await startStsEmulator({ accountId: ACCOUNT, baseCredentials: [{ ...base, arn: `arn:aws:iam::${ACCOUNT}:user/iam4kube-server` }] });
    cleanups.push(() => sts.close());

    const server = await startServerProcess({
      args: [
        `--kubeconfig=${kubeconfig}`,
        '--metadata-host=127.0.0.1',
        '--metadata-port=0',
        '--aux-host=127.0.0.1',
        '--aux-port=0',
        `--sts-endpoint=${sts.endpoint}`,
        '--shutdown-delay=0s',
        '--log-level=info',
        ...(o.serverArgs ?? []),
      ],
      env: localServerEnv(base),
    });
    cleanups.push(() => server.stop());
    const auxUrl = `http://127.0.0.1:${server.auxPort}`;
    await waitServerReady(auxUrl, server, 30_000);
    return { kube, kubeProxy, sts, server, metadataUrl: `http://127.0.0.1:${server.metadataPort}`, auxUrl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}


/** Long variants run with IAM4KUBE_LONG=1. */
export const LONG = process.env.IAM4KUBE_LONG === '1';
