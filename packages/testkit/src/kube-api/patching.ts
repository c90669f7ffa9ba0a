import { parse as parseYaml } from 'yaml';
import { ApiError, STALE_OBJECT, badRequest, conflict, notFound } from './errors.js';
import { PatchError, applyJsonPatch } from './json-patch.js';
import { applyMergePatch } from './merge-patch.js';
import type { KubeObject } from './object.js';
import { isObject } from './object.js';
import type { Registry, Target } from './registry.js';
import type { ResourceInfo } from './resources.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

const TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

export function patchTypeOf(contentType: string): PatchType {
  const type = TYPES[contentType];
  if (!type) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${Object.keys(TYPES).join(', ')}`,
    );
  }
  return type;
}

function parsePatch(type: PatchType, text: string): unknown {
  try {
    return type === 'apply' ? (parseYaml(text) as unknown) : (JSON.parse(text) as unknown);
  } catch (err) {
    throw badRequest(`error decoding patch: ${(err as Error).message}`);
  }
}

export interface PatchResult {
  readonly object: KubeObject;
  readonly created: boolean;
}

/**
 * PATCH of any of the four kinds. The patch applies to the whole stored object; with subresource "status" only the
 * status of the result is kept, otherwise the status is (for resources with the subresource). A resourceVersion
 * the patch sets is a precondition. Server-side apply is simplified to "create, or strategic merge".
 */
export function patchObject(registry: Registry, info: ResourceInfo, target: Target, type: PatchType, text: string): PatchResult {
  const patch = parsePatch(type, text);
  const existing = registry.store.get(info, target.namespace, target.name);
  if (type === 'apply') {
    if (!isObject(patch)) throw badRequest('an apply patch must be an object');
    if (!existing) {
      if (target.subresource) throw notFound(info, target.name);
      const meta = isObject(patch['metadata']) ? patch['metadata'] : {};
      const body = { ...patch, metadata: { ...meta, name: target.name } };
      return { object: registry.create(info, body, info.namespaced ? target.namespace : undefined), created: true };
    }
  }
  if (!existing) throw notFound(info, target.name);
  let patched: unknown;
  try {
    if (type === 'json') patched = applyJsonPatch(existing, patch);
    else if (type === 'merge') patched = applyMergePatch(existing, patch);
    else patched = applyStrategicMergePatch(existing, patch);
  } catch (err) {
    if (err instanceof PatchError) {
      throw type === 'json' ? new ApiError(422, 'Invalid', err.message) : badRequest(err.message);
    }
    throw err;
  }
  if (!isObject(patched) || !isObject(patched['metadata'])) throw badRequest('the patched object has no metadata');
  const obj = registry.decode(info, patched);
  if (obj.metadata.name !== target.name) {
    throw badRequest(`the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${target.name})`);
  }
  const rv = obj.metadata.resourceVersion;
  if (rv !== undefined && rv !== existing.metadata.resourceVersion) throw conflict(info, target.name, STALE_OBJECT);
  return { object: registry.replace(info, existing, obj, target.subresource), created: false };
}

