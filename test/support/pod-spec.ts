import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { ManifestObject } from './manifests.js';

/** The pod template's spec of a Deployment or DaemonSet. */
export function podSpec(workload: ManifestObject): IPodSpec {
  const spec = (workload as unknown as { spec?: { template?: { spec?: IPodSpec } } }).spec?.template?.spec;
  if (!spec) throw new Error(`${workload.kind}/${workload.metadata.name} has no pod template`);
  return spec;
}

export function container(workload: ManifestObject, name?: string): IContainer {
  const containers = podSpec(workload).containers;
  const found = name === undefined ? containers[0] : containers.find((c) => c.name === name);
  if (!found) throw new Error(`${workload.kind}/${workload.metadata.name} has no container ${name ?? ''}`);
  return found;
}

/** Values the kubelet would fill in for the downward API, for a made-up node and pod. */
const FIELD_REFS: Record<string, string> = {
  'spec.nodeName': 'node-a.example.internal',
  'metadata.name': 'pod-a',
  'metadata.namespace': 'iam4kube',
  'status.podIP': '10.0.0.10',
  'status.hostIP': '10.0.0.1',
};

/** The container's environment as the kubelet would set it (literal values and downward-API fields). */
export function containerEnv(c: IContainer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef) {
      const value = FIELD_REFS[e.valueFrom.fieldRef.fieldPath];
      if (value === undefined) throw new Error(`no stand-in for the downward API field ${e.valueFrom.fieldRef.fieldPath}`);
      env[e.name] = value;
    } else throw new Error(`env ${e.name}: only literal values and fieldRef are supported here`);
  }
  return env;
}

/**
 * Writes the Secret volumes a container mounts into `dir`, the way the kubelet projects them (one file per key, or
 * per `items` entry), and returns a function that rewrites a path inside a mount to the local copy (a Secret missing from the build is
 * not projected, and paths into it are left as they are). So a flag such
 * as `--token-key-file=/etc/iam4kube/token-key/token-key` can be checked against the real generated Secret.
 */
export function materializeSecretMounts(objects: readonly ManifestObject[], workload: ManifestObject, c: IContainer, dir: string): (text: string) => string {
  const spec = podSpec(workload);
  const namespace = workload.metadata.namespace;
  const mounts: Array<[string, string]> = [];
  for (const mount of c.volumeMounts ?? []) {
    const volume = (spec.volumes ?? []).find((v) => v.name === mount.name);
    if (!volume?.secret) continue;
    const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === volume.secret!.secretName && o.metadata.namespace === namespace) as
      | (ManifestObject & { data?: Record<string, string> })
      | undefined;
    // Not in this build (a base without its generator): the mount stays empty, as the kubelet would leave the pod.
    if (!secret) continue;
    const local = join(dir, mount.name);
    mkdirSync(local, { recursive: true });
    const items = volume.secret.items ?? Object.keys(secret.data ?? {}).map((key) => ({ key, path: key }));
    for (const item of items) {
      const value = secret.data?.[item.key];
      if (value === undefined) throw new Error(`Secret ${secret.metadata.name} has no key ${item.key}`);
      writeFileSync(join(local, item.path), Buffer.from(value, 'base64'));
    }
    mounts.push([mount.mountPath.replace(/\/$/, ''), local]);
  }
  return (text) => mounts.reduce((t, [mountPath, local]) => t.split(`${mountPath}/`).join(`${local}/`), text);
}
