import type { KubeObject, ReflectorSink } from '@iam4kube/shared';
import { roleBindingFor, type RoleBinding } from '../identity/role-binding.js';

/** What is kept of a ServiceAccount: its identity and the parsed role binding (annotations are not kept). */
export interface ServiceAccountRecord {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly binding: RoleBinding;
}

export interface ServiceAccountListener {
  /** A ServiceAccount appeared, changed, or went away (`record` undefined). */
  serviceAccountChanged(key: string, record: ServiceAccountRecord | undefined, previous: ServiceAccountRecord | undefined): void;
  /** The ServiceAccount watch has seen everything up to this resourceVersion (after every event and bookmark). */
  progress?(resourceVersion: string): void;
}

export function serviceAccountKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * ServiceAccounts by namespace/name, keeping only the parsed role binding. Fed by a metadata-only reflector
 * (PartialObjectMetadata): annotations are all it reads, so secrets lists and the like never cross the wire.
 */
export class ServiceAccountIndex implements ReflectorSink {
  readonly #byKey = new Map<string, ServiceAccountRecord>();
  /**
   * The same records by namespace, then name, for get(): a request's lookup hashes two strings the pod record holds
   * (V8 keeps a string's hash) instead of building and hashing a new namespace/name key every time.
   */
  readonly #byNamespace = new Map<string, Map<string, ServiceAccountRecord>>();
  readonly #listener: ServiceAccountListener;

  constructor(listener: ServiceAccountListener) {
    this.#listener = listener;
  }

  get size(): number {
    return this.#byKey.size;
  }

  get(namespace: string, name: string): ServiceAccountRecord | undefined {
    return this.#byNamespace.get(namespace)?.get(name);
  }

  values(): IterableIterator<ServiceAccountRecord> {
    return this.#byKey.values();
  }

  replace(objects: readonly KubeObject[]): void {
    const seen = new Set<string>();
    for (const obj of objects) seen.add(this.#put(obj));
    for (const key of [...this.#byKey.keys()]) if (!seen.has(key)) this.#remove(key);
  }

  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): void {
    if (type === 'DELETED') this.#remove(serviceAccountKey(obj.metadata?.namespace ?? '', obj.metadata?.name ?? ''));
    else this.#put(obj);
  }

  progress(resourceVersion: string): void {
    this.#listener.progress?.(resourceVersion);
  }

  #put(obj: KubeObject): string {
    const namespace = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    const key = serviceAccountKey(namespace, name);
    const record: ServiceAccountRecord = Object.freeze({
      namespace,
      name,
      uid: obj.metadata?.uid ?? '',
      resourceVersion: obj.metadata?.resourceVersion ?? '',
      binding: Object.freeze(roleBindingFor(namespace, name, obj.metadata?.annotations)),
    });
    const previous = this.#byKey.get(key);
    this.#byKey.set(key, record);
    let names = this.#byNamespace.get(namespace);
    if (!names) this.#byNamespace.set(namespace, (names = new Map()));
    names.set(name, record);
    this.#listener.serviceAccountChanged(key, record, previous);
    return key;
  }

  #remove(key: string): void {
    const previous = this.#byKey.get(key);
    if (!previous) return;
    this.#byKey.delete(key);
    const names = this.#byNamespace.get(previous.namespace);
    names?.delete(previous.name);
    if (names?.size === 0) this.#byNamespace.delete(previous.namespace);
    this.#listener.serviceAccountChanged(key, undefined, previous);
  }
}
