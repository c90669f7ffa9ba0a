import type { KubeObject, ReflectorSink } from '@iam4kube/shared';
import { StringInterner } from './string-interner.js';

/** Where a node runs, from its well-known topology labels; either may be missing. */
export interface NodePlacement {
  readonly zone?: string;
  readonly region?: string;
}

export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const REGION_LABEL = 'topology.kubernetes.io/region';
/** Labels older clusters still carry (removed from the kubelet in Kubernetes 1.28+); read when the new ones are absent. */
const LEGACY_ZONE_LABEL = 'failure-domain.beta.kubernetes.io/zone';
const LEGACY_REGION_LABEL = 'failure-domain.beta.kubernetes.io/region';

export interface NodeListener {
  /** A node appeared, changed its placement, or went away. */
  nodeChanged(name: string): void;
}

/**
 * Node name → zone and region, for the metadata API's placement paths. Fed by a metadata-only reflector: labels are
 * all it reads, so node status (images, conditions) never crosses the wire. Zone and region strings are shared.
 */
export class NodeIndex implements ReflectorSink {
  readonly #byName = new Map<string, NodePlacement>();
  readonly #strings = new StringInterner();
  readonly #listener: NodeListener | undefined;

  constructor(listener?: NodeListener) {
    this.#listener = listener;
  }

  get size(): number {
    return this.#byName.size;
  }

  /** The placement of a node the cache has seen; undefined for a node it has not. */
  get(nodeName: string): NodePlacement | undefined {
    return this.#byName.get(nodeName);
  }

  replace(objects: readonly KubeObject[]): void {
    const seen = new Set<string>();
    for (const obj of objects) seen.add(this.#put(obj));
    for (const name of [...this.#byName.keys()]) if (!seen.has(name)) this.#remove(name);
  }

  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): void {
    if (type === 'DELETED') this.#remove(obj.metadata?.name ?? '');
    else this.#put(obj);
  }

  #put(obj: KubeObject): string {
    const name = obj.metadata?.name ?? '';
    const labels = obj.metadata?.labels ?? {};
    const zone = labels[ZONE_LABEL] ?? labels[LEGACY_ZONE_LABEL];
    const region = labels[REGION_LABEL] ?? labels[LEGACY_REGION_LABEL];
    const old = this.#byName.get(name);
    if (old && old.zone === zone && old.region === region) return name;
    const placement: NodePlacement = Object.freeze({
      ...(zone !== undefined ? { zone: this.#strings.intern(zone) } : {}),
      ...(region !== undefined ? { region: this.#strings.intern(region) } : {}),
    });
    if (old) this.#release(old);
    this.#byName.set(name, placement);
    this.#listener?.nodeChanged(name);
    return name;
  }

  #remove(name: string): void {
    const old = this.#byName.get(name);
    if (!old) return;
    this.#byName.delete(name);
    this.#release(old);
    this.#listener?.nodeChanged(name);
  }

  #release(placement: NodePlacement): void {
    if (placement.zone !== undefined) this.#strings.release(placement.zone);
    if (placement.region !== undefined) this.#strings.release(placement.region);
  }
}
