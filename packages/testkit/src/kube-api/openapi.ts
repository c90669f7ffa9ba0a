import { createHash } from 'node:crypto';
import type { JsonObject } from './object.js';
import type { ResourceInfo, ResourceTable } from './resources.js';

/**
 * A skeletal OpenAPI v3 document per group-version: paths and operations with their group-version-kind and the
 * `fieldValidation` query parameter, but no schemas. That is what kubectl checks before it leaves field validation
 * to the server (so `kubectl apply`/`create` need neither a full schema nor --validate=false). kubectl then
 * computes apply patches from its compiled-in types. The documents are tiny and built on request.
 */

const QUERY_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty'];

function gvPath(info: ResourceInfo): string {
  return info.group === '' ? `api/${info.version}` : `apis/${info.group}/${info.version}`;
}

function operation(info: ResourceInfo, action: string, subresource?: string): JsonObject {
  return {
    operationId: `${action}${info.kind}${subresource ? 'Status' : ''}`,
    parameters: QUERY_PARAMS.map((name) => ({ name, in: 'query', schema: { type: name === 'force' ? 'boolean' : 'string' } })),
    responses: { '200': { description: 'OK' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: info.group, version: info.version, kind: info.kind },
  };
}

function pathsFor(info: ResourceInfo): JsonObject {
  const base = `/${gvPath(info)}${info.namespaced ? '/namespaces/{namespace}' : ''}/${info.plural}`;
  const paths: JsonObject = {
    [base]: { get: operation(info, 'list'), post: operation(info, 'post') },
    [`${base}/{name}`]: {
      get: operation(info, 'get'),
      put: operation(info, 'put'),
      patch: operation(info, 'patch'),
      delete: operation(info, 'delete'),
    },
  };
  if (info.statusSubresource) {
    paths[`${base}/{name}/status`] = {
      get: operation(info, 'get', 'status'),
      put: operation(info, 'put', 'status'),
      patch: operation(info, 'patch', 'status'),
    };
  }
  return paths;
}

function groupVersions(table: ResourceTable): Map<string, ResourceInfo[]> {
  const byPath = new Map<string, ResourceInfo[]>();
  for (const info of table.all) byPath.set(gvPath(info), [...(byPath.get(gvPath(info)) ?? []), info]);
  return byPath;
}

function document(infos: readonly ResourceInfo[]): JsonObject {
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths: Object.assign({}, ...infos.map(pathsFor)) as JsonObject,
    components: { schemas: {} },
  };
}

/** `/openapi/v3` (the index) and `/openapi/v3/<group-version path>`; undefined (404) for anything else, v2 included. */
export function openApi(table: ResourceTable, path: string): JsonObject | undefined {
  if (!path.startsWith('v3')) return undefined;
  const gvs = groupVersions(table);
  const rest = path.slice(2).replace(/^\//, '');
  if (rest === '') {
    const paths: JsonObject = {};
    for (const [gv, infos] of gvs) {
      const hash = createHash('sha512').update(JSON.stringify(document(infos))).digest('hex').slice(0, 32).toUpperCase();
      paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash}` };
    }
    return { paths };
  }
  const infos = gvs.get(rest);
  return infos && document(infos);
}
