import type { JsonObject, KubeObject } from './object.js';
import { getPath, isObject } from './object.js';
import type { ResourceInfo } from './resources.js';

/** A column of a meta.k8s.io Table, with how to compute its cell (`age` renders a creation time). */
export interface Column {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'date';
  readonly format?: string;
  readonly priority?: number;
  readonly cell: (obj: KubeObject, age: (timestamp: unknown) => string) => string | number;
}

const none = (value: unknown): string => (value === undefined || value === null || value === '' ? '<none>' : String(value));
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const obj = (value: unknown): JsonObject => (isObject(value) ? value : {});

const NAME: Column = { name: 'Name', type: 'string', format: 'name', cell: (o) => o.metadata.name ?? '' };
const AGE: Column = { name: 'Age', type: 'string', cell: (o, age) => age(o.metadata.creationTimestamp) };

function podStatus(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  const status = obj(pod['status']);
  let reason = String(status['reason'] ?? status['phase'] ?? 'Unknown');
  for (const cs of list(status['containerStatuses'])) {
    const state = obj(obj(cs)['state']);
    const waiting = obj(state['waiting'])['reason'];
    const terminated = obj(state['terminated'])['reason'];
    if (typeof waiting === 'string' && waiting !== '') reason = waiting;
    else if (typeof terminated === 'string' && terminated !== '') reason = terminated;
  }
  return reason;
}

function podReady(pod: KubeObject): string {
  const total = list(getPath(pod, 'spec.containers')).length;
  const ready = list(getPath(pod, 'status.containerStatuses')).filter((cs) => obj(cs)['ready'] === true).length;
  return `${ready}/${total}`;
}

function podRestarts(pod: KubeObject): string {
  const restarts = list(getPath(pod, 'status.containerStatuses')).reduce<number>(
    (sum, cs) => sum + Number(obj(cs)['restartCount'] ?? 0),
    0,
  );
  return String(restarts);
}

function nodeStatus(node: KubeObject): string {
  const ready = list(getPath(node, 'status.conditions')).find((c) => obj(c)['type'] === 'Ready');
  const parts = [ready === undefined ? 'Unknown' : obj(ready)['status'] === 'True' ? 'Ready' : 'NotReady'];
  if (getPath(node, 'spec.unschedulable') === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeRoles(node: KubeObject): string {
  const roles = Object.keys(node.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .filter((r) => r !== '');
  return roles.length === 0 ? '<none>' : roles.sort().join(',');
}

function nodeAddress(type: string): (node: KubeObject) => string {
  return (node) => none(obj(list(getPath(node, 'status.addresses')).find((a) => obj(a)['type'] === type))['address']);
}

function servicePorts(svc: KubeObject): string {
  const ports = list(getPath(svc, 'spec.ports')).map((p) => {
    const port = obj(p);
    const nodePort = port['nodePort'] ? `:${String(port['nodePort'])}` : '';
    return `${String(port['port'])}${nodePort}/${String(port['protocol'] ?? 'TCP')}`;
  });
  return ports.length === 0 ? '<none>' : ports.join(',');
}

function externalIp(svc: KubeObject): string {
  const type = getPath(svc, 'spec.type');
  if (type === 'ExternalName') return none(getPath(svc, 'spec.externalName'));
  const ips = list(getPath(svc, 'spec.externalIPs')).map(String);
  const ingress = list(getPath(svc, 'status.loadBalancer.ingress')).map((i) => String(obj(i)['ip'] ?? obj(i)['hostname']));
  const all = [...ingress, ...ips];
  if (all.length > 0) return all.join(',');
  return type === 'LoadBalancer' ? '<pending>' : '<none>';
}

function endpointsList(ep: KubeObject): string {
  const out: string[] = [];
  for (const subset of list(ep['subsets'])) {
    const ports = list(obj(subset)['ports']).map((p) => obj(p)['port']);
    for (const addr of list(obj(subset)['addresses'])) {
      const ip = String(obj(addr)['ip']);
      if (ports.length === 0) out.push(ip);
      for (const port of ports) out.push(`${ip}:${String(port)}`);
    }
  }
  if (out.length === 0) return '<none>';
  return out.length > 3 ? `${out.slice(0, 3).join(',')} + ${out.length - 3} more...` : out.join(',');
}

function sliceEndpoints(slice: KubeObject): string {
  const ips = list(slice['endpoints']).flatMap((e) => list(obj(e)['addresses']).map(String));
  if (ips.length === 0) return '<unset>';
  return ips.length > 3 ? `${ips.slice(0, 3).join(',')} + ${ips.length - 3} more...` : ips.join(',');
}

function slicePorts(slice: KubeObject): string {
  const ports = list(slice['ports']).map((p) => String(obj(p)['port']));
  return ports.length === 0 ? '<unset>' : ports.join(',');
}

function eventObject(event: KubeObject): string {
  const ref = obj(event['involvedObject'] ?? event['regarding']);
  return `${String(ref['kind'] ?? '').toLowerCase()}/${String(ref['name'] ?? '')}`;
}

const EVENT_COLUMNS: Column[] = [
  { name: 'Last Seen', type: 'string', cell: (e, age) => age(e['lastTimestamp'] ?? e['eventTime'] ?? e.metadata.creationTimestamp) },
  { name: 'Type', type: 'string', cell: (e) => String(e['type'] ?? '') },
  { name: 'Reason', type: 'string', cell: (e) => String(e['reason'] ?? '') },
  { name: 'Object', type: 'string', cell: eventObject },
  { name: 'Message', type: 'string', cell: (e) => String(e['message'] ?? e['note'] ?? '') },
];

const COLUMNS: Record<string, Column[]> = {
  namespaces: [NAME, { name: 'Status', type: 'string', cell: (o) => String(getPath(o, 'status.phase') ?? '') }, AGE],
  pods: [
    NAME,
    { name: 'Ready', type: 'string', cell: podReady },
    { name: 'Status', type: 'string', cell: podStatus },
    { name: 'Restarts', type: 'string', cell: podRestarts },
    AGE,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => none(getPath(o, 'status.podIP')) },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => none(getPath(o, 'spec.nodeName')) },
    { name: 'Nominated Node', type: 'string', priority: 1, cell: (o) => none(getPath(o, 'status.nominatedNodeName')) },
    { name: 'Readiness Gates', type: 'string', priority: 1, cell: () => '<none>' },
  ],
  serviceaccounts: [NAME, { name: 'Secrets', type: 'integer', cell: (o) => list(o['secrets']).length }, AGE],
  nodes: [
    NAME,
    { name: 'Status', type: 'string', cell: nodeStatus },
    { name: 'Roles', type: 'string', cell: nodeRoles },
    AGE,
    { name: 'Version', type: 'string', cell: (o) => String(getPath(o, 'status.nodeInfo.kubeletVersion') ?? '') },
    { name: 'Internal-IP', type: 'string', priority: 1, cell: nodeAddress('InternalIP') },
    { name: 'External-IP', type: 'string', priority: 1, cell: nodeAddress('ExternalIP') },
  ],
  events: EVENT_COLUMNS,
  services: [
    NAME,
    { name: 'Type', type: 'string', cell: (o) => String(getPath(o, 'spec.type') ?? '') },
    { name: 'Cluster-IP', type: 'string', cell: (o) => none(getPath(o, 'spec.clusterIP')) },
    { name: 'External-IP', type: 'string', cell: externalIp },
    { name: 'Port(s)', type: 'string', cell: servicePorts },
    AGE,
    {
      name: 'Selector',
      type: 'string',
      priority: 1,
      cell: (o) => {
        const sel = Object.entries(obj(getPath(o, 'spec.selector')));
        return sel.length === 0 ? '<none>' : sel.map(([k, v]) => `${k}=${String(v)}`).join(',');
      },
    },
  ],
  endpoints: [NAME, { name: 'Endpoints', type: 'string', cell: endpointsList }, AGE],
  configmaps: [NAME, { name: 'Data', type: 'integer', cell: (o) => Object.keys(obj(o['data'])).length + Object.keys(obj(o['binaryData'])).length }, AGE],
  secrets: [
    NAME,
    { name: 'Type', type: 'string', cell: (o) => String(o['type'] ?? '') },
    { name: 'Data', type: 'integer', cell: (o) => Object.keys(obj(o['data'])).length },
    AGE,
  ],
  endpointslices: [
    NAME,
    { name: 'AddressType', type: 'string', cell: (o) => String(o['addressType'] ?? '') },
    { name: 'Ports', type: 'string', cell: slicePorts },
    { name: 'Endpoints', type: 'string', cell: sliceEndpoints },
    AGE,
  ],
};

/** The columns the real server's printer has for this resource (Name and Age for anything else). */
export function columnsFor(info: ResourceInfo): Column[] {
  return COLUMNS[info.plural] ?? [NAME, AGE];
}
