import { badRequest } from './errors.js';
import { FieldSelectorError, matchesFields, parseFieldSelector } from './field-selector.js';
import { SelectorParseError, matchesLabels, parseLabelSelector } from './label-selector.js';
import type { KubeObject } from './object.js';
import type { ResourceInfo } from './resources.js';

/** Query parameters of list and watch: selectors into one predicate, pagination and continue tokens. */
export type ObjectPredicate = (obj: KubeObject) => boolean;

export function fieldReader(info: ResourceInfo, obj: KubeObject): (field: string) => string {
  return (field) => {
    if (field === 'metadata.name') return obj.metadata.name ?? '';
    if (field === 'metadata.namespace') return obj.metadata.namespace ?? '';
    return info.fieldLabels[field]?.(obj) ?? '';
  };
}

/**
 * Parses labelSelector and fieldSelector; 400 with the real server's wording when either is invalid (kubectl adds
 * the 'Unable to find "/v1, Resource=pods" that match ...' prefix itself).
 */
export function selectorPredicate(info: ResourceInfo, labelSelector = '', fieldSelector = ''): ObjectPredicate {
  let labels;
  let fields;
  try {
    labels = parseLabelSelector(labelSelector);
    fields = parseFieldSelector(fieldSelector);
  } catch (err) {
    if (err instanceof SelectorParseError || err instanceof FieldSelectorError) throw badRequest(err.message);
    throw err;
  }
  for (const req of fields) {
    if (req.field !== 'metadata.name' && req.field !== 'metadata.namespace' && !(req.field in info.fieldLabels)) {
      throw badRequest(`field label not supported: ${req.field}`);
    }
  }
  if (labels.length === 0 && fields.length === 0) return () => true;
  return (obj) => matchesLabels(labels, obj.metadata.labels) && matchesFields(fields, fieldReader(info, obj));
}

export interface ContinueToken {
  readonly rv: number;
  /** namespace/name of the last object returned. */
  readonly start: string;
}

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: token.start })).toString('base64url');
}

export function decodeContinue(value: string): ContinueToken {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    const { rv, start } = parsed as { rv: unknown; start: unknown };
    if (typeof rv === 'number' && typeof start === 'string') return { rv, start };
  } catch {
    // fall through
  }
  throw badRequest(`continue key is not valid: ${value}`);
}

export function objectKey(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

export interface Page {
  readonly items: KubeObject[];
  /** Key of the last item when more remain. */
  readonly next?: string;
  readonly remaining?: number;
}

/** One page of sorted objects after `startAfter`, at most `limit` long (0 = all). */
export function paginate(sorted: readonly KubeObject[], startAfter: string | undefined, limit: number): Page {
  const from = startAfter === undefined ? sorted : sorted.filter((o) => objectKey(o) > startAfter);
  if (limit <= 0 || from.length <= limit) return { items: [...from] };
  const items = from.slice(0, limit);
  return { items, next: objectKey(items.at(-1)!), remaining: from.length - limit };
}

export function parseResourceVersion(value: string | undefined, name = 'resourceVersion'): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw badRequest(`invalid ${name}: ${JSON.stringify(value)}`);
  return Number(value);
}

