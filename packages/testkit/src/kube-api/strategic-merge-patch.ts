import { listStrategy } from './merge-keys.js';
import { PatchError } from './json-patch.js';
import type { JsonObject } from './object.js';
import { clone, isObject } from './object.js';

/**
 * Strategic merge patch for the built-in types: maps merge, `null` deletes, lists with a merge key merge element by
 * element, other lists are replaced. Supports the directives kubectl sends: `$patch: replace|delete|merge`,
 * `$retainKeys`, `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>`.
 */
export function applyStrategicMergePatch(original: unknown, patch: unknown): unknown {
  if (!isObject(patch)) throw new PatchError('strategic merge patch must be a JSON object');
  const result = mergeMap(isObject(original) ? original : {}, patch, []);
  return result ?? {};
}

const DELETE_FROM = '$deleteFromPrimitiveList/';
const SET_ORDER = '$setElementOrder/';

function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => !(isObject(v) && v['$patch'] === 'delete')).map(stripDirectives);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$') || v === null) continue;
    out[k] = stripDirectives(v);
  }
  return out;
}

/** Returns undefined when the patch deletes the whole map (`$patch: delete`). */
function mergeMap(original: JsonObject, patch: JsonObject, path: string[]): JsonObject | undefined {
  const directive = patch['$patch'];
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return stripDirectives(patch) as JsonObject;
  if (directive !== undefined && directive !== 'merge') throw new PatchError(`unknown patch type: ${String(directive)}`);

  const result: JsonObject = clone(original);
  const retain = patch['$retainKeys'];
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw new PatchError('$retainKeys must be a list');
    for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key];
  }
  for (const [key, value] of Object.entries(patch)) {
    if (!key.startsWith(DELETE_FROM)) continue;
    const field = key.slice(DELETE_FROM.length);
    if (!Array.isArray(value)) throw new PatchError(`${key} must be a list`);
    const current = result[field];
    if (Array.isArray(current)) result[field] = current.filter((item) => !value.includes(item));
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    if (value === null) {
      delete result[key];
    } else if (isObject(value)) {
      const merged = mergeMap(isObject(result[key]) ? (result[key] as JsonObject) : {}, value, [...path, key]);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else if (Array.isArray(value)) {
      result[key] = mergeList(result[key], value, [...path, key]);
    } else {
      result[key] = value;
    }
  }
  for (const [key, value] of Object.entries(patch)) {
    if (!key.startsWith(SET_ORDER)) continue;
    const field = key.slice(SET_ORDER.length);
    const current = result[field];
    if (Array.isArray(value) && Array.isArray(current)) result[field] = reorder(current, value, [...path, field]);
  }
  return result;
}

function mergeList(original: unknown, patch: unknown[], path: string[]): unknown[] {
  if (patch.some((item) => isObject(item) && item['$patch'] === 'replace' && Object.keys(item).length === 1)) {
    return patch.filter((item) => !(isObject(item) && item['$patch'] === 'replace')).map(stripDirectives);
  }
  const strategy = listStrategy(path);
  const current = Array.isArray(original) ? clone(original) : [];
  if (strategy === undefined) return patch.map(stripDirectives);
  if ('primitive' in strategy) {
    for (const item of patch) if (!current.includes(item)) current.push(item);
    return current;
  }
  const key = strategy.mergeKey;
  for (const item of patch) {
    if (!isObject(item)) throw new PatchError(`list ${path.join('.')} must contain maps with the merge key ${key}`);
    const index = current.findIndex((existing) => isObject(existing) && existing[key] === item[key]);
    if (item['$patch'] === 'delete') {
      if (index >= 0) current.splice(index, 1);
      continue;
    }
    const base = index >= 0 && isObject(current[index]) ? (current[index] as JsonObject) : {};
    const merged = mergeMap(base, item, [...path, '*']) ?? {};
    if (index >= 0) current[index] = merged;
    else current.push(merged);
  }
  return current;
}

/** `$setElementOrder`: elements named in the order list come first, in that order; the rest keep their order. */
function reorder(list: unknown[], order: unknown[], path: string[]): unknown[] {
  const strategy = listStrategy(path);
  const keyOf = (item: unknown): unknown =>
    strategy && 'mergeKey' in strategy && isObject(item) ? item[strategy.mergeKey] : item;
  const wanted = order.map(keyOf);
  const ranked = list.map((item, index) => ({ item, index, rank: wanted.indexOf(keyOf(item)) }));
  ranked.sort((a, b) => {
    const ra = a.rank < 0 ? Number.MAX_SAFE_INTEGER : a.rank;
    const rb = b.rank < 0 ? Number.MAX_SAFE_INTEGER : b.rank;
    return ra - rb || a.index - b.index;
  });
  return ranked.map((r) => r.item);
}
