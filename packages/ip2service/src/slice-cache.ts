import type { KubeObject, ReflectorSink } from '@iam4kube/shared';

import type { EndpointLike, EndpointPortLike, EndpointSliceLike } from './endpoints.js';
import { SERVICE_NAME_LABEL } from './endpoints.js';

export interface EndpointSliceCacheOptions {
  /**
   * Called after a change that can move traffic (endpoints, their conditions, ports, the Service label). Must be
   * cheap and do no I/O: the app passes `runner.request`.
   */
  readonly onChange: () => void;
}

/**
 * The EndpointSlices the reflector sees, each kept as the small projection selectEndpoints reads. Changes that cannot
 * move traffic (managedFields, topology hints, a resync that repeats what we have) do not call onChange.
 */
export class EndpointSliceCache implements ReflectorSink {
  readonly #options: EndpointSliceCacheOptions;
  /** namespace/name → [projection, its JSON (to compare)] */
  readonly #slices = new Map<string, { readonly slice: EndpointSliceLike; readonly json: string }>();

  constructor(options: EndpointSliceCacheOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#slices.size;
  }

  /** The slices known now, in no particular order (selectEndpoints sorts). */
  slices(): EndpointSliceLike[] {
    return [...this.#slices.values()].map((entry) => entry.slice);
  }

  replace(objects: readonly KubeObject[]): void {
    const seen = new Set<string>();
    let changed = false;
    for (const object of objects) {
      const key = keyOf(object);
      seen.add(key);
      changed = this.#put(key, object) || changed;
    }
    for (const key of [...this.#slices.keys()]) {
      if (seen.has(key)) continue;
      this.#slices.delete(key);
      changed = true;
    }
    if (changed) this.#options.onChange();
  }

  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeObject): void {
    const key = keyOf(object);
    const changed = type === 'DELETED' ? this.#slices.delete(key) : this.#put(key, object);
    if (changed) this.#options.onChange();
  }

  /** Stores the projection; returns whether it differs from what was there. */
  #put(key: string, object: KubeObject): boolean {
    const slice = projectSlice(object);
    const json = JSON.stringify(slice);
    if (this.#slices.get(key)?.json === json) return false;
    this.#slices.set(key, { slice, json });
    return true;
  }
}

function keyOf(object: KubeObject): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

interface SliceShape {
  readonly addressType?: unknown;
  readonly endpoints?: unknown;
  readonly ports?: unknown;
}

/** Keeps what selectEndpoints reads, with a fixed key order so equal projections have equal JSON. */
export function projectSlice(object: KubeObject): EndpointSliceLike {
  const shape = object as KubeObject & SliceShape;
  const serviceName = object.metadata?.labels?.[SERVICE_NAME_LABEL];
  return {
    addressType: typeof shape.addressType === 'string' ? shape.addressType : '',
    metadata: {
      namespace: object.metadata?.namespace ?? '',
      labels: serviceName === undefined ? {} : { [SERVICE_NAME_LABEL]: serviceName },
    },
    endpoints: arrayOf(shape.endpoints).map(projectEndpoint),
    ports: arrayOf(shape.ports).map(projectPort),
  };
}

function projectEndpoint(raw: unknown): EndpointLike {
  const endpoint = (raw ?? {}) as { addresses?: unknown; conditions?: Record<string, unknown> };
  const conditions = endpoint.conditions ?? {};
  return {
    addresses: arrayOf(endpoint.addresses).filter((a): a is string => typeof a === 'string'),
    conditions: {
      ...boolField('ready', conditions['ready']),
      ...boolField('serving', conditions['serving']),
      ...boolField('terminating', conditions['terminating']),
    },
  };
}

function projectPort(raw: unknown): EndpointPortLike {
  const port = (raw ?? {}) as { name?: unknown; port?: unknown; protocol?: unknown };
  return {
    ...(typeof port.name === 'string' ? { name: port.name } : {}),
    ...(typeof port.port === 'number' ? { port: port.port } : {}),
    ...(typeof port.protocol === 'string' ? { protocol: port.protocol } : {}),
  };
}

/** A missing (or null) condition stays missing: selectEndpoints gives it the API's default. */
function boolField<K extends string>(key: K, value: unknown): Partial<Record<K, boolean>> {
  return typeof value === 'boolean' ? ({ [key]: value } as Record<K, boolean>) : {};
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
