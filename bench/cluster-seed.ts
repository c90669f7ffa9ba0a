/** Puts namespaces, ServiceAccounts and running pods into the Kubernetes API emulator, as a cluster would have them. */
import type { KubeApiEmulator } from '@iam4kube/testkit';

export const ACCOUNT = '123456789012';
export const ROLE_ANNOTATION = 'iam.amazonaws.com/roleArn';

export function roleArn(name: string): string {
  return `arn:aws:iam::${ACCOUNT}:role/${name}`;
}

export function addNamespace(kube: KubeApiEmulator, name: string): void {
  if (!kube.get('namespaces', '', name)) kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

export function addServiceAccount(kube: KubeApiEmulator, namespace: string, name: string, role?: string): void {
  const annotations = role === undefined ? undefined : { [ROLE_ANNOTATION]: roleArn(role) };
  kube.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, ...(annotations ? { annotations } : {}) } });
}

export function annotateServiceAccount(kube: KubeApiEmulator, namespace: string, name: string, role: string): void {
  kube.patch('serviceaccounts', namespace, name, { metadata: { annotations: { [ROLE_ANNOTATION]: roleArn(role) } } });
}

export interface PodSpec {
  readonly namespace: string;
  readonly name: string;
  readonly serviceAccount: string;
  readonly ip: string;
  readonly node?: string;
}

/** Creates a pod shaped like a Deployment's (labels, a container, a volume) and reports it Running with its IP. */
export function addRunningPod(kube: KubeApiEmulator, p: PodSpec): void {
  kube.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      labels: { app: p.serviceAccount, 'pod-template-hash': '5d8f7c9b6' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${p.serviceAccount}-5d8f7c9b6`, uid: `rs-${p.namespace}-${p.serviceAccount}`, controller: true }],
    },
    spec: {
      serviceAccountName: p.serviceAccount,
      nodeName: p.node ?? 'node-1',
      containers: [{ name: 'main', image: `registry.example.com/${p.serviceAccount}:1.2.3`, resources: { requests: { cpu: '100m', memory: '128Mi' } } }],
      volumes: [{ name: 'config', configMap: { name: `${p.serviceAccount}-config` } }],
    },
  });
  reportRunning(kube, p.namespace, p.name, p.ip);
}

/** Plays the kubelet: the pod is Running with this IP. */
export function reportRunning(kube: KubeApiEmulator, namespace: string, name: string, ip: string): void {
  kube.patchStatus('pods', namespace, name, { phase: 'Running', podIP: ip, podIPs: [{ ip }], hostIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] });
}

/** The i-th address of a /16 inside 127.0.0.0/8 (every one of them is loopback on Linux, so a client can bind it). */
export function loopbackIp(block: number, i: number): string {
  return `127.${block}.${(i >> 8) & 255}.${i & 255}`;
}

/** A pod IP for the i-th of many pods (10.0.0.0/8; never called from, only indexed). */
export function podIp(i: number): string {
  const n = 0x0a000000 + 0x100 + i;
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
