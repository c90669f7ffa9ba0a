import type { ResourceInfo, ResourceTable } from './resources.js';

/** What a request path names. Undefined from parseRoute means 404. */
export type Route =
  | { readonly kind: 'version' }
  | { readonly kind: 'health' }
  | { readonly kind: 'api' }
  | { readonly kind: 'apis' }
  | { readonly kind: 'group'; readonly group: string }
  | { readonly kind: 'resourceList'; readonly group: string; readonly version: string }
  | { readonly kind: 'openapi'; readonly path: string }
  | ResourceRoute;

export interface ResourceRoute {
  readonly kind: 'resource';
  readonly info: ResourceInfo;
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
  readonly subresource?: string | undefined;
  /** The deprecated /watch/ path prefix. */
  readonly watchPrefix: boolean;
}

const HEALTH = new Set(['healthz', 'livez', 'readyz']);

export function parseRoute(table: ResourceTable, pathname: string): Route | undefined {
  const segs = pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  const [root] = segs;
  if (root === 'version' && segs.length === 1) return { kind: 'version' };
  if (root !== undefined && HEALTH.has(root)) return { kind: 'health' };
  if (root === 'openapi') return { kind: 'openapi', path: segs.slice(1).join('/') };
  let group: string;
  let version: string;
  let rest: string[];
  if (root === 'api') {
    if (segs.length === 1) return { kind: 'api' };
    if (segs[1] !== 'v1') return undefined;
    [group, version, rest] = ['', 'v1', segs.slice(2)];
  } else if (root === 'apis') {
    if (segs.length === 1) return { kind: 'apis' };
    if (segs.length === 2) return { kind: 'group', group: segs[1]! };
    [group, version, rest] = [segs[1]!, segs[2]!, segs.slice(3)];
  } else {
    return undefined;
  }
  if (rest.length === 0) return { kind: 'resourceList', group, version };
  const watchPrefix = rest[0] === 'watch';
  if (watchPrefix) rest = rest.slice(1);
  let namespace: string | undefined;
  const nsSubresource = rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize');
  if (rest[0] === 'namespaces' && rest.length >= 3 && !nsSubresource && group === '') {
    namespace = rest[1];
    rest = rest.slice(2);
  } else if (rest[0] === 'namespaces' && rest.length >= 3 && group !== '') {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length === 0 || rest.length > 3) return undefined;
  const info = table.find(group, version, rest[0]!);
  if (!info) return undefined;
  if (namespace !== undefined && !info.namespaced) return undefined;
  const [, name, subresource] = rest;
  if (info.namespaced && namespace === undefined && name !== undefined) return undefined;
  return { kind: 'resource', info, namespace, name, subresource, watchPrefix };
}
