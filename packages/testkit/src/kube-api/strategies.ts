import type { JsonObject, KubeObject } from './object.js';
import { isObject } from './object.js';
import type { ResourceInfo } from './resources.js';

/**
 * What the real server adds to objects of each kind: API defaults (applied on every write, like defaulting on
 * decode), the initial status, and a few registry rules. Plain functions over plain JSON.
 */

function record(parent: JsonObject, key: string): JsonObject {
  const value = parent[key];
  if (isObject(value)) return value;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
}

function setDefault(obj: JsonObject, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null) obj[key] = value;
}

function defaultContainer(container: unknown): void {
  if (!isObject(container)) return;
  setDefault(container, 'terminationMessagePath', '/dev/termination-log');
  setDefault(container, 'terminationMessagePolicy', 'File');
  const image = typeof container['image'] === 'string' ? container['image'] : '';
  const tag = image.includes('@') ? 'digest' : (image.split('/').at(-1)!.split(':')[1] ?? 'latest');
  setDefault(container, 'imagePullPolicy', tag === 'latest' ? 'Always' : 'IfNotPresent');
  setDefault(container, 'resources', {});
  for (const port of Array.isArray(container['ports']) ? container['ports'] : []) {
    if (isObject(port)) setDefault(port, 'protocol', 'TCP');
  }
}

function defaultPod(pod: KubeObject): void {
  const spec = record(pod, 'spec');
  const sa = spec['serviceAccountName'] ?? spec['serviceAccount'] ?? 'default';
  spec['serviceAccountName'] = sa;
  spec['serviceAccount'] = sa;
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  setDefault(spec, 'enableServiceLinks', true);
  setDefault(spec, 'priority', 0);
  setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  for (const list of ['containers', 'initContainers']) {
    for (const container of Array.isArray(spec[list]) ? spec[list] : []) defaultContainer(container);
  }
}

function defaultService(service: KubeObject): void {
  const spec = record(service, 'spec');
  setDefault(spec, 'type', 'ClusterIP');
  setDefault(spec, 'sessionAffinity', 'None');
  if (spec['type'] !== 'ExternalName') {
    setDefault(spec, 'ipFamilies', ['IPv4']);
    setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
    setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  }
  for (const port of Array.isArray(spec['ports']) ? spec['ports'] : []) {
    if (!isObject(port)) continue;
    setDefault(port, 'protocol', 'TCP');
    setDefault(port, 'targetPort', port['port']);
  }
}

function defaultSecret(secret: KubeObject): void {
  setDefault(secret, 'type', 'Opaque');
  const stringData = secret['stringData'];
  if (isObject(stringData)) {
    const data = record(secret, 'data');
    for (const [key, value] of Object.entries(stringData)) data[key] = Buffer.from(String(value)).toString('base64');
    delete secret['stringData'];
  }
}

function defaultNamespace(ns: KubeObject): void {
  ns.metadata.labels = { ...ns.metadata.labels, 'kubernetes.io/metadata.name': ns.metadata.name ?? '' };
  setDefault(record(ns, 'spec'), 'finalizers', ['kubernetes']);
}

/** Applies API defaults in place; idempotent. */
export function applyDefaults(info: ResourceInfo, obj: KubeObject): void {
  if (info.group !== '') return;
  if (info.plural === 'pods') defaultPod(obj);
  else if (info.plural === 'services') defaultService(obj);
  else if (info.plural === 'secrets') defaultSecret(obj);
  else if (info.plural === 'namespaces') defaultNamespace(obj);
}

/** The status a freshly created object gets when the client's status is ignored. */
export function initialStatus(info: ResourceInfo): JsonObject | undefined {
  if (info.group !== '') return undefined;
  switch (info.plural) {
    case 'pods':
      return { phase: 'Pending', qosClass: 'BestEffort' };
    case 'services':
      return { loadBalancer: {} };
    case 'namespaces':
      return { phase: 'Active' };
    default:
      return undefined;
  }
}

/** True when everything but metadata and status is equal (a generation bump is due otherwise). */
export function sameSpec(a: KubeObject, b: KubeObject): boolean {
  const strip = ({ metadata: _m, status: _s, ...rest }: KubeObject): unknown => rest;
  return canonical(strip(a)) === canonical(strip(b));
}

/** JSON with sorted keys, for equality checks independent of key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );
}

/** Pods get graceful deletion only when scheduled and not finished (pkg/registry/core/pod CheckGracefulDelete). */
export function podGracePeriod(pod: KubeObject, requested: number | undefined): number {
  const spec = isObject(pod['spec']) ? pod['spec'] : {};
  const status = isObject(pod['status']) ? pod['status'] : {};
  if (!spec['nodeName']) return 0;
  if (status['phase'] === 'Succeeded' || status['phase'] === 'Failed') return 0;
  const fromSpec = typeof spec['terminationGracePeriodSeconds'] === 'number' ? spec['terminationGracePeriodSeconds'] : 30;
  return Math.max(0, requested ?? fromSpec);
}
