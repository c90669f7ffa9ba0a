import type { Representation } from './media.js';
import type { JsonObject, KubeObject } from './object.js';
import type { ResourceInfo } from './resources.js';
import { groupVersion } from './resources.js';
import { columnsFor } from './table-columns.js';

/** Renders stored objects the way the client asked: as themselves, as metadata only, or as Table rows. */
export interface ListMeta {
  readonly resourceVersion: string;
  readonly continue?: string;
  readonly remainingItemCount?: number;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface RenderContext {
  readonly info: ResourceInfo;
  readonly representation: Representation;
  readonly now: number;
  readonly includeObject: IncludeObject;
}

/** apimachinery's duration.HumanDuration, which kubectl's AGE column shows. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    return days === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${days}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

export function partialObject(obj: KubeObject, version: string): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

function table(ctx: RenderContext, objects: readonly KubeObject[], meta: ListMeta | undefined, version: string): JsonObject {
  const columns = columnsFor(ctx.info);
  const age = (timestamp: unknown): string =>
    typeof timestamp === 'string' ? humanDuration(ctx.now - Date.parse(timestamp)) : '<unknown>';
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: meta ? { ...meta } : {},
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.name,
      priority: c.priority ?? 0,
    })),
    rows: objects.map((obj) => {
      const row: JsonObject = { cells: columns.map((c) => c.cell(obj, age)) };
      if (ctx.includeObject === 'Metadata') row['object'] = partialObject(obj, 'v1');
      if (ctx.includeObject === 'Object') row['object'] = obj;
      return row;
    }),
  };
}

/** One object (GET, create, update, watch event). */
export function renderObject(ctx: RenderContext, obj: KubeObject): JsonObject {
  const rep = ctx.representation;
  if (rep.as === 'Table') return table(ctx, [obj], undefined, rep.version);
  if (rep.as === 'PartialObjectMetadata') return partialObject(obj, rep.version);
  return obj;
}

/** A list response; items carry no kind/apiVersion, as the real server encodes built-in lists. */
export function renderList(ctx: RenderContext, objects: readonly KubeObject[], meta: ListMeta): JsonObject {
  const rep = ctx.representation;
  if (rep.as === 'Table') return table(ctx, objects, meta, rep.version);
  if (rep.as === 'PartialObjectMetadata') {
    return {
      kind: 'PartialObjectMetadataList',
      apiVersion: `meta.k8s.io/${rep.version}`,
      metadata: { ...meta },
      items: objects.map((o) => partialObject(o, rep.version)),
    };
  }
  return {
    kind: `${ctx.info.kind}List`,
    apiVersion: groupVersion(ctx.info),
    metadata: { ...meta },
    items: objects.map(({ kind: _k, apiVersion: _a, ...rest }) => rest),
  };
}

/** The object a BOOKMARK event carries: only the revision (and the initial-events-end marker). */
export function bookmarkObject(ctx: RenderContext, rv: number, initialEventsEnd: boolean): JsonObject {
  const metadata: JsonObject = { resourceVersion: String(rv), creationTimestamp: null };
  if (initialEventsEnd) metadata['annotations'] = { 'k8s.io/initial-events-end': 'true' };
  const rep = ctx.representation;
  if (rep.as === 'PartialObjectMetadata') return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${rep.version}`, metadata };
  if (rep.as === 'Table') return { kind: 'Table', apiVersion: `meta.k8s.io/${rep.version}`, metadata, columnDefinitions: null, rows: null };
  return { kind: ctx.info.kind, apiVersion: groupVersion(ctx.info), metadata };
}
