import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startKubeApiEmulator, type KubeApiEmulator } from '../kube-api/index.js';
import { startStsEmulator, type StsEmulator } from '../sts/index.js';
import { startMoto } from '../sts/moto.js';
import { reportPodIps } from './kubelet.js';
import { localServerArgs, localServerEnv, repoRoot, startServerProcess, waitServerReady, type ServerProcess } from './server-process.js';

export const DEMO_ACCOUNT = '123456789012';

export interface StackOptions {
  /** Which STS the server talks to. */
  readonly sts: 'emulator' | 'moto';
  /** Ports; 0 picks free ones. */
  readonly kubePort?: number;
  readonly stsPort?: number;
  readonly metadataPort?: number;
  readonly auxPort?: number;
  /** Folder of YAML files that seed the Kubernetes API emulator (default manifests/examples). */
  readonly manifestsDir?: string;
  readonly serverArgs?: readonly string[];
  readonly logLevel?: string;
  readonly onServerLine?: (line: string) => void;
  /** The server in a process group of its own (server-process.ts says why the demo wants it). */
  readonly serverProcessGroup?: boolean;
}

export interface Stack {
  readonly kube: KubeApiEmulator;
  /** Our STS emulator, when options.sts is 'emulator'. */
  readonly sts: StsEmulator | undefined;
  readonly stsEndpoint: string;
  readonly kubeconfigPath: string;
  readonly metadataUrl: string;
  readonly auxUrl: string;
  readonly server: ServerProcess;
  /** The base credentials the server runs with (known to the STS emulator). */
  readonly serverCredentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** What a local AWS client needs to act as the demo pod. */
  readonly clientEnv: Readonly<Record<string, string>>;
  /**
   * Starts another replica of the server against the same Kubernetes API and STS, with the stack's server arguments
   * plus `serverArgs` (later flags win), on free ports; resolves once it is ready. Stopped with the stack.
   */
  startReplica(options?: ReplicaOptions): Promise<Replica>;
  stop(): Promise<void>;
}

export interface ReplicaOptions {
  readonly serverArgs?: readonly string[];
  readonly onServerLine?: (line: string) => void;
  /** Resolve as soon as the ports are bound, without waiting for readiness. */
  readonly noWait?: boolean;
}

export interface Replica {
  readonly server: ServerProcess;
  readonly metadataUrl: string;
  readonly auxUrl: string;
}

/**
 * The local demo stack, on 127.0.0.1 only: the Kubernetes API emulator seeded from manifests/examples (with pod IPs
 * reported as a kubelet would), an STS (our emulator or moto), and the real server binary. Used by `npm run demo`
 * and by the end-to-end suites.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const workDir = await mkdtemp(join(tmpdir(), 'iam4kube-stack-'));
    cleanups.push(() => rm(workDir, { recursive: true, force: true }));

    const kube = await startKubeApiEmulator({ port: options.kubePort ?? 0 });
    cleanups.push(() => kube.close());
    const manifestsDir = options.manifestsDir ?? join(repoRoot(), 'manifests', 'examples');
    for (const file of (await readdir(manifestsDir)).filter((f) => /\.ya?ml$/.test(f)).sort()) {
      kube.applyManifests(await readFile(join(manifestsDir, file), 'utf8'));
    }
    await reportPodIps(kube.url);
    const kubeconfigPath = join(workDir, 'kubeconfig');
    await kube.writeKubeconfig(kubeconfigPath);

    const serverCredentials = { accessKeyId: 'AKIA' + randomBytes(8).toString('hex').toUpperCase(), secretAccessKey: randomBytes(30).toString('base64') };
    let sts: StsEmulator | undefined;
    let stsEndpoint: string;
    if (options.sts === 'moto') {
      const moto = await startMoto({ port: options.stsPort ?? 0 });
      cleanups.push(() => moto.close());
      stsEndpoint = moto.endpoint;
    } else {
      sts = await startStsEmulator({
        port: options.stsPort ?? 0,
        accountId: DEMO_ACCOUNT,
        baseCredentials: [{ ...serverCredentials, arn: `arn:aws:iam::${DEMO_ACCOUNT}:user/iam4kube-server` }],
      });
      cleanups.push(() => sts!.close());
      stsEndpoint = sts.endpoint;
    }

    const serverArgs = [
      ...localServerArgs({
        kubeconfig: kubeconfigPath,
        stsEndpoint,
        ...(options.logLevel ? { logLevel: options.logLevel } : {}),
        ...(options.metadataPort ? { metadataPort: options.metadataPort } : {}),
        ...(options.auxPort ? { auxPort: options.auxPort } : {}),
      }),
      '--sts-region=us-east-1',
      ...(options.serverArgs ?? []),
    ];
    const serverEnv = localServerEnv(serverCredentials);
    const server = await startServerProcess({
      args: serverArgs,
      env: serverEnv,
      ...(options.onServerLine ? { onLine: options.onServerLine } : {}),
      ...(options.serverProcessGroup ? { ownProcessGroup: true } : {}),
    });
    cleanups.push(() => server.stop());
    const metadataUrl = `http://127.0.0.1:${server.metadataPort}`;
    const auxUrl = `http://127.0.0.1:${server.auxPort}`;
    await waitServerReady(auxUrl, server);

    return {
      kube,
      sts,
      stsEndpoint,
      kubeconfigPath,
      metadataUrl,
      auxUrl,
      server,
      serverCredentials,
      clientEnv: {
        KUBECONFIG: kubeconfigPath,
        AWS_EC2_METADATA_SERVICE_ENDPOINT: `${metadataUrl}/`,
        AWS_REGION: 'us-east-1',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      },
      async startReplica(replica: ReplicaOptions = {}) {
        const started = await startServerProcess({
          args: [...serverArgs, '--metadata-port=0', '--aux-port=0', ...(replica.serverArgs ?? [])],
          env: serverEnv,
          ...(replica.onServerLine ? { onLine: replica.onServerLine } : {}),
        });
        cleanups.push(() => started.stop());
        const urls = { metadataUrl: `http://127.0.0.1:${started.metadataPort}`, auxUrl: `http://127.0.0.1:${started.auxPort}` };
        if (!replica.noWait) await waitServerReady(urls.auxUrl, started);
        return { server: started, ...urls };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
