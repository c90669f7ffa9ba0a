import type { KubeObject, ReflectorSink } from '@iam4kube/shared';
import { decideRole, parseNamespacePolicy, type NamespacePolicy, type PolicyDecision } from '../identity/namespace-policy.js';

/** What is kept of a Namespace: its identity and its parsed role policy (annotations are not kept). */
export interface NamespaceRecord {
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly policy: NamespacePolicy;
}

export interface NamespaceListener {
  /** A Namespace appeared, changed or went away (`record` undefined). */
  namespaceChanged(name: string, record: NamespaceRecord | undefined, previous: NamespaceRecord | undefined): void;
}

/** Decisions remembered per Namespace revision: a namespace's pods use a handful of roles. */
const DECISIONS_PER_NAMESPACE = 256;

interface Stored {
  readonly record: NamespaceRecord;
  readonly decisions: Map<string, PolicyDecision>;
}

/**
 * Namespaces by name with their role policy (--namespace-restrictions), fed by a metadata-only reflector. The policy
 * is parsed when the Namespace changes; decisions are remembered per revision, so the request path costs one or two
 * map lookups however expensive the pattern.
 */
export class NamespaceIndex implements ReflectorSink {
  readonly #byName = new Map<string, Stored>();
  readonly #listener: NamespaceListener;
  readonly #baseRoleArn: string | undefined;

  constructor(o: { readonly listener: NamespaceListener; readonly baseRoleArn: string | undefined }) {
    this.#listener = o.listener;
    this.#baseRoleArn = o.baseRoleArn;
  }

  get size(): number {
    return this.#byName.size;
  }

  get(name: string): NamespaceRecord | undefined {
    return this.#byName.get(name)?.record;
  }

  *values(): IterableIterator<NamespaceRecord> {
    for (const stored of this.#byName.values()) yield stored.record;
  }

  /** Whether pods in `namespace` may use `roleArn`; undefined while the namespace is not known. */
  decide(namespace: string, roleArn: string): PolicyDecision | undefined {
    const stored = this.#byName.get(namespace);
    if (!stored) return undefined;
    let decision = stored.decisions.get(roleArn);
    if (decision === undefined) {
      decision = decideRole(namespace, stored.record.policy, roleArn);
      if (stored.decisions.size >= DECISIONS_PER_NAMESPACE) stored.decisions.clear();
      stored.decisions.set(roleArn, decision);
    }
    return decision;
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
    const previous = this.#byName.get(name)?.record;
    const resourceVersion = obj.metadata?.resourceVersion ?? '';
    // A relist hands back unchanged namespaces: keep their parsed policy and decisions.
    if (previous && resourceVersion !== '' && previous.resourceVersion === resourceVersion && previous.uid === (obj.metadata?.uid ?? '')) return name;
    const record: NamespaceRecord = Object.freeze({
      name,
      uid: obj.metadata?.uid ?? '',
      resourceVersion,
      policy: Object.freeze(parseNamespacePolicy(obj.metadata?.annotations, this.#baseRoleArn)),
    });
    this.#byName.set(name, { record, decisions: new Map() });
    this.#listener.namespaceChanged(name, record, previous);
    return name;
  }

  #remove(name: string): void {
    const previous = this.#byName.get(name)?.record;
    if (!previous) return;
    this.#byName.delete(name);
    this.#listener.namespaceChanged(name, undefined, previous);
  }
}
