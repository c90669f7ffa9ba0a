/**
 * The system the reliability suites run against: the Kubernetes API emulator (optionally behind a TCP proxy that
 * can be taken down, to play an API server restart), the STS emulator, and the real server binary (built by
 * `tsc -b`, as the test command does first).
 */
import {
  startSeededStack,
  type KubeApiEmulator,
  type KubeApiEmulatorOptions,
  type SeededStack,
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

export interface ReliabilityStack extends SeededStack {
  readonly kubeProxy: TcpProxy | undefined;
}

export async function startReliabilityStack(o: ReliabilityStackOptions = {}): Promise<ReliabilityStack> {
  const { kubeProxy: proxied, ...rest } = o;
  let kubeProxy: TcpProxy | undefined;
  const stack = await startSeededStack({
    ...rest,
    ...(proxied ? { kubeFront: async (kube) => (kubeProxy = await startTcpProxy(Number(new URL(kube.url).port))) } : {}),
    logLevel: 'info',
    readyTimeoutMs: 30_000,
  });
  return { ...stack, kubeProxy };
}

/** Long variants run with IAM4KUBE_LONG=1. */
export const LONG = process.env.IAM4KUBE_LONG === '1';
