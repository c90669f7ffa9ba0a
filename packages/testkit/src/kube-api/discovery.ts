import type { JsonObject } from './object.js';
import type { ResourceInfo, ResourceTable } from './resources.js';

/** Discovery documents rendered from the resource table: legacy (/api, /apis, per group-version) and aggregated. */

export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-iam4kube-emulator',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-12-11T00:00:00Z',
  goVersion: 'go1.23.3',
  compiler: 'gc',
  platform: 'linux/amd64',
} as const;

interface GroupVersions {
  readonly group: string;
  readonly versions: Map<string, ResourceInfo[]>;
}

function byGroup(table: ResourceTable): GroupVersions[] {
  const groups = new Map<string, GroupVersions>();
  for (const info of table.all) {
    let entry = groups.get(info.group);
    if (!entry) groups.set(info.group, (entry = { group: info.group, versions: new Map() }));
    const list = entry.versions.get(info.version) ?? [];
    list.push(info);
    entry.versions.set(info.version, list);
  }
  return [...groups.values()];
}

const STATUS_VERBS = ['get', 'patch', 'update'];

export function apiVersions(serverAddress: string): JsonObject {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupEntry(g: GroupVersions): JsonObject {
  const versions = [...g.versions.keys()].map((version) => ({ groupVersion: `${g.group}/${version}`, version }));
  return { name: g.group, versions, preferredVersion: versions[0] };
}

export function apiGroupList(table: ResourceTable): JsonObject {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: byGroup(table).filter((g) => g.group !== '').map(groupEntry) };
}

export function apiGroup(table: ResourceTable, group: string): JsonObject | undefined {
  const g = byGroup(table).find((entry) => entry.group === group && group !== '');
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(g) } : undefined;
}

export function apiResourceList(table: ResourceTable, group: string, version: string): JsonObject | undefined {
  const infos = table.all.filter((info) => info.group === group && info.version === version);
  if (infos.length === 0) return undefined;
  const resources: JsonObject[] = [];
  for (const info of infos) {
    const entry: JsonObject = {
      name: info.plural,
      singularName: info.singular,
      namespaced: info.namespaced,
      kind: info.kind,
      verbs: [...info.verbs],
    };
    if (info.shortNames.length > 0) entry['shortNames'] = [...info.shortNames];
    if (info.categories.length > 0) entry['categories'] = [...info.categories];
    resources.push(entry);
    if (info.statusSubresource) {
      resources.push({ name: `${info.plural}/status`, singularName: '', namespaced: info.namespaced, kind: info.kind, verbs: STATUS_VERBS });
    }
  }
  const gv = group === '' ? version : `${group}/${version}`;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources };
}

function discoveryResource(info: ResourceInfo): JsonObject {
  const responseKind = { group: info.group, version: info.version, kind: info.kind };
  const entry: JsonObject = {
    resource: info.plural,
    responseKind,
    scope: info.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: info.singular,
    verbs: [...info.verbs],
  };
  if (info.shortNames.length > 0) entry['shortNames'] = [...info.shortNames];
  if (info.categories.length > 0) entry['categories'] = [...info.categories];
  if (info.statusSubresource) entry['subresources'] = [{ subresource: 'status', responseKind, verbs: STATUS_VERBS }];
  return entry;
}

/** The aggregated form (apidiscovery.k8s.io): `/api` holds the core group, `/apis` every other group. */
export function aggregatedDiscovery(table: ResourceTable, legacy: boolean, version: string): JsonObject {
  const items = byGroup(table)
    .filter((g) => (g.group === '') === legacy)
    .map((g) => ({
      metadata: g.group === '' ? { creationTimestamp: null } : { name: g.group, creationTimestamp: null },
      versions: [...g.versions.entries()].map(([v, infos]) => ({
        version: v,
        resources: infos.map(discoveryResource),
        freshness: 'Current',
      })),
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}

export function aggregatedContentType(version: string): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}

