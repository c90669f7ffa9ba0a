/**
 * The caller every load of the throughput benches plays: pod `bench/app-0` at 127.0.0.1 (where the load generator
 * connects from), ServiceAccount `app` annotated with `bench-role`, asking for its credentials; and the other
 * ServiceAccounts that fill the cluster around it.
 */
import type { KubeApiEmulator } from '@iam4kube/testkit';
import { addNamespace, addRunningPod, addServiceAccount, podIp } from './cluster-seed.js';
import type { BenchStack } from './bench-stack.js';

export const ROLE = 'bench-role';
export const PATH = `/latest/meta-data/iam/security-credentials/${ROLE}`;
/**
 * The same request through five spellings of its path, in turn: one more than the server's memo keeps per caller
 * (packages/server/src/metadata/answer-memo.ts, 4), so that no request finds its answer there and each is decided
 * afresh (route, guard, caller, credentials), as the first request of a caller or any request after a cluster change.
 */
export const AFRESH_PATHS = [
  PATH,
  `${PATH}/`,
  `/2021-07-15/meta-data/iam/security-credentials/${ROLE}`,
  `/${PATH}`,
  `/latest//meta-data/iam/security-credentials/${ROLE}`,
];

/** The bench pod, and `extraServiceAccounts` more, each with its own role and a pod. */
export function seedBenchCluster(kube: KubeApiEmulator, extraServiceAccounts: number): void {
  addNamespace(kube, 'bench');
  addServiceAccount(kube, 'bench', 'app', ROLE);
  addRunningPod(kube, { namespace: 'bench', name: 'app-0', serviceAccount: 'app', ip: '127.0.0.1' });
  for (let i = 0; i < extraServiceAccounts; i++) {
    addServiceAccount(kube, 'bench', `sa-${i}`, `role-${i}`);
    addRunningPod(kube, { namespace: 'bench', name: `pod-${i}`, serviceAccount: `sa-${i}`, ip: podIp(i) });
  }
}

/** The token and the size of the bench pod's credentials document, checking that the server answers it. */
export async function firstAnswer(stack: BenchStack, log: (line: string) => void): Promise<{ bodyBytes: number; v2: Record<string, string> }> {
  const url = `${stack.metadataUrl}${PATH}`;
  const token = await (await fetch(`${stack.metadataUrl}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' } })).text();
  const first = await fetch(url, { headers: { 'x-aws-ec2-metadata-token': token } });
  const bodyBytes = (await first.arrayBuffer()).byteLength;
  if (first.status !== 200) throw new Error(`the server answered ${first.status} to the bench pod`);
  log(`credentials document: ${bodyBytes} bytes; IMDSv2 token: ${token.length} characters`);
  return { bodyBytes, v2: { 'x-aws-ec2-metadata-token': token } };
}
