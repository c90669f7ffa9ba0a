import type { PolicyDecision } from '../identity/namespace-policy.js';
import { podBindingUnder, type AnnotatedPod, type PodRoleBindings } from '../identity/pod-role-binding.js';
import type { RoleBinding } from '../identity/role-binding.js';
import { sessionKey, sessionRequestFor, type SessionOptions, type SessionRequest } from './session-request.js';

/** A ServiceAccount as the engine sees it. */
export interface BoundServiceAccount {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly binding: RoleBinding;
}

/** A pod with a --pod-role-annotation, as the engine sees it. */
export interface AnnotatedPodRef extends AnnotatedPod {
  readonly uid: string;
  readonly hostNetwork: boolean;
}

export interface RetainedSessionsOptions {
  /** The credential store's reference counting. */
  readonly sessions: { retain(request: SessionRequest): void; release(request: SessionRequest): void };
  readonly options: SessionOptions;
  /** The ServiceAccount cache as it is now (a pod's binding depends on its ServiceAccount's). */
  readonly serviceAccount: (namespace: string, name: string) => BoundServiceAccount | undefined;
  /** --namespace-restrictions: a role not permitted (or in a namespace not known) is never retained. */
  readonly policy?: { decide(namespace: string, roleArn: string): PolicyDecision | undefined } | undefined;
  /** --pod-role-annotation. */
  readonly podRoles?: PodRoleBindings | undefined;
}

/**
 * Which STS sessions to keep fetched (prefetch), by the same rules as the resolver: one reference per annotated
 * ServiceAccount whose role its Namespace permits, and one per pod whose own annotation is in use (its ServiceAccount
 * has no role annotation) and permitted. Every change (ServiceAccount, annotated pod, Namespace policy) recomputes
 * the sessions of the subjects it touches; a new session is retained before the old one is released, so an entry
 * both share is never dropped in between, and a session nothing wants any more is released (its entry dropped with
 * its last reference: cached credentials are gone, and an STS call still queued for it is not made).
 */
export class RetainedSessions {
  readonly #o: RetainedSessionsOptions;
  /** Subject (`sa:<ns>/<name>` or `pod:<uid>`) → the session it holds a reference to. */
  readonly #held = new Map<string, SessionRequest>();
  /** ServiceAccounts with a role annotation, by namespace: what a Namespace change re-evaluates. */
  readonly #roleAccounts = new Map<string, Map<string, BoundServiceAccount>>();
  /** Annotated pods by namespace, then ServiceAccount, then uid. */
  readonly #annotatedPods = new Map<string, Map<string, Map<string, AnnotatedPodRef>>>();

  constructor(options: RetainedSessionsOptions) {
    this.#o = options;
  }

  /** Sessions held now (for tests and diagnostics). */
  get held(): ReadonlyMap<string, SessionRequest> {
    return this.#held;
  }

  serviceAccountChanged(record: BoundServiceAccount | undefined, previous: BoundServiceAccount | undefined): void {
    const sa = (record ?? previous)!;
    const accounts = this.#roleAccounts.get(sa.namespace);
    accounts?.delete(sa.name);
    if (record?.binding.kind === 'role') nested(this.#roleAccounts, sa.namespace).set(sa.name, record);
    else if (accounts?.size === 0) this.#roleAccounts.delete(sa.namespace);
    this.#syncServiceAccount(sa.namespace, sa.name, record);
    for (const pod of this.#annotatedPods.get(sa.namespace)?.get(sa.name)?.values() ?? []) this.#syncPod(pod);
  }

  annotatedPodChanged(record: AnnotatedPodRef | undefined, previous: AnnotatedPodRef | undefined): void {
    if (previous) this.#forgetPod(previous);
    const pod = record?.roleAnnotation !== undefined ? record : undefined;
    if (pod) nested(nested(this.#annotatedPods, pod.namespace), pod.serviceAccountName).set(pod.uid, pod);
    if (pod) this.#syncPod(pod);
    else if (previous) this.#set(`pod:${previous.uid}`, undefined);
  }

  /** A Namespace's policy changed (or it appeared, or went away): re-evaluate everything bound in it. */
  namespaceChanged(namespace: string): void {
    for (const sa of this.#roleAccounts.get(namespace)?.values() ?? []) this.#syncServiceAccount(sa.namespace, sa.name, sa);
    for (const pods of this.#annotatedPods.get(namespace)?.values() ?? []) for (const pod of pods.values()) this.#syncPod(pod);
  }

  #syncServiceAccount(namespace: string, name: string, sa: BoundServiceAccount | undefined): void {
    const binding = sa?.binding;
    const wanted = sa && binding?.kind === 'role' && this.#permitted(namespace, binding.roleArn) ? sessionRequestFor(sa, binding, this.#o.options) : undefined;
    this.#set(`sa:${namespace}/${name}`, wanted);
  }

  #syncPod(pod: AnnotatedPodRef): void {
    const sa = this.#o.serviceAccount(pod.namespace, pod.serviceAccountName);
    // A hostNetwork pod is never served.
    const binding = sa && !pod.hostNetwork ? podBindingUnder(sa.binding, pod, this.#o.podRoles) : undefined;
    const wanted =
      sa && binding?.kind === 'role' && this.#permitted(pod.namespace, binding.roleArn)
        ? sessionRequestFor({ namespace: pod.namespace, name: pod.serviceAccountName, uid: sa.uid }, binding, this.#o.options)
        : undefined;
    this.#set(`pod:${pod.uid}`, wanted);
  }

  #permitted(namespace: string, roleArn: string): boolean {
    return this.#o.policy ? this.#o.policy.decide(namespace, roleArn)?.permitted === true : true;
  }

  #set(subject: string, wanted: SessionRequest | undefined): void {
    const held = this.#held.get(subject);
    if (held && wanted && sessionKey(held) === sessionKey(wanted)) return;
    if (wanted) {
      this.#o.sessions.retain(wanted);
      this.#held.set(subject, wanted);
    } else {
      this.#held.delete(subject);
    }
    if (held) this.#o.sessions.release(held);
  }

  #forgetPod(pod: AnnotatedPodRef): void {
    const byAccount = this.#annotatedPods.get(pod.namespace);
    const pods = byAccount?.get(pod.serviceAccountName);
    pods?.delete(pod.uid);
    if (pods?.size === 0) byAccount!.delete(pod.serviceAccountName);
    if (byAccount?.size === 0) this.#annotatedPods.delete(pod.namespace);
  }
}

function nested<V>(map: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let inner = map.get(key);
  if (!inner) map.set(key, (inner = new Map()));
  return inner;
}
