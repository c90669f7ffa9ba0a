/**
 * Which lists strategic merge patch merges, and by which key: the `patchStrategy:"merge"` / `patchMergeKey` tags of
 * the built-in Go types this emulator serves. A path is the field names from the object root, with "*" for a list
 * element. Lists not named here are replaced whole, as for atomic lists on the real server.
 */
export type ListStrategy = { readonly mergeKey: string } | { readonly primitive: true } | undefined;

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

const BY_FIELD: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  imagePullSecrets: 'name',
  resourceClaims: 'name',
  schedulingGates: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  hostAliases: 'ip',
  podIPs: 'ip',
  hostIPs: 'ip',
  conditions: 'type',
  topologySpreadConstraints: 'topologyKey',
};

export function listStrategy(path: readonly string[]): ListStrategy {
  const field = path.at(-1) ?? '';
  const joined = path.join('.');
  if (joined === 'metadata.finalizers') return { primitive: true };
  if (joined === 'metadata.ownerReferences') return { mergeKey: 'uid' };
  if (joined === 'status.addresses') return { mergeKey: 'type' };
  if (field === 'env' && CONTAINER_LISTS.has(path.at(-3) ?? '')) return { mergeKey: 'name' };
  if (field === 'ports') {
    if (CONTAINER_LISTS.has(path.at(-3) ?? '')) return { mergeKey: 'containerPort' };
    if (joined === 'spec.ports') return { mergeKey: 'port' };
    return undefined;
  }
  const key = BY_FIELD[field];
  return key === undefined ? undefined : { mergeKey: key };
}
