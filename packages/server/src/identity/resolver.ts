import type { PodIndex } from '../kube/pod-index.js';
import type { PodRecord } from '../kube/pod-record.js';
import { serviceAccountKey, type ServiceAccountIndex } from '../kube/service-account-index.js';
import type { KeyedWaiters } from './keyed-waiters.js';
import type { RoleBinding } from './role-binding.js';
import type { ServiceAccountCatchUp } from './service-account-catch-up.js';
import type { PodCacheGuard } from './pod-cache-guard.js';
import type { PolicyDecision } from './namespace-policy.js';
import { podBindingUnder, type PodRoleBindings } from './pod-role-binding.js';

export type RoleOf<B> = B extends { kind: 'role' } ? B : never;

/** The answer to "which role does the caller at this IP get?". */
export type Resolution =
  | { readonly kind: 'role'; readonly pod: PodRecord; readonly binding: RoleOf<RoleBinding> }
  | { readonly kind: 'no-role'; readonly pod: PodRecord }
  | { readonly kind: 'invalid-role'; readonly pod: PodRecord; readonly reason: string; readonly source?: BindingSource }
  /** --namespace-restrictions: the pod's Namespace does not permit the role; `reason` names the namespace and annotation. */
  | { readonly kind: 'denied'; readonly pod: PodRecord; readonly roleArn: string; readonly reason: string; readonly source: BindingSource }
  | { readonly kind: 'refused'; readonly reason: RefusalReason; readonly pod?: PodRecord; readonly pods?: readonly PodRecord[] };

/** Where a binding came from: the ServiceAccount's annotations, or the pod's (--pod-role-annotation). */
export type BindingSource = 'service-account' | 'pod';

export type RefusalReason = 'unknown-pod' | 'ambiguous-ip' | 'host-network' | 'unknown-service-account';

export function ipKey(ip: string): string {
  return `ip:${ip}`;
}
export function serviceAccountWaitKey(namespace: string, name: string): string {
  return `sa:${serviceAccountKey(namespace, name)}`;
}
export function namespaceWaitKey(name: string): string {
  return `ns:${name}`;
}
/** Notified whenever the ServiceAccount watch moves forward (every event and bookmark). */
export const SERVICE_ACCOUNT_PROGRESS_KEY = 'sa-progress';
/** Notified when the pod cache is live again after its watch reconnected. */
export const POD_CACHE_LIVE_KEY = 'pods-live';

export interface ResolverDeps {
  readonly pods: Pick<PodIndex, 'lookup'>;
  readonly serviceAccounts: Pick<ServiceAccountIndex, 'get'>;
  readonly waiters: KeyedWaiters;
  /** When given, negative answers wait until the ServiceAccount cache has caught up with the pod (see docs/identity.md). */
  readonly catchUp?: ServiceAccountCatchUp;
  /** When given, a role is served from a pod cache that may have missed changes only after a consistent read. */
  readonly podGuard?: Pick<PodCacheGuard, 'trusts' | 'check'>;
  /**
   * --namespace-restrictions: whether the pod's Namespace permits a role (undefined while the Namespace is not known:
   * the request waits for it). Every binding, ServiceAccount or pod, goes through it.
   */
  readonly policy?: { decide(namespace: string, roleArn: string): PolicyDecision | undefined };
  /** --pod-role-annotation: the pod's own binding, used only when its ServiceAccount has no role annotation. */
  readonly podRoles?: PodRoleBindings;
}

/**
 * Caller IP → Pod → ServiceAccount → role binding. When the answer is not yet knowable it waits, event-driven,
 * until the watch delivers it or the signal aborts (deadline or client gone); then it answers with what it knows:
 * - no pod with that IP yet: wait for one;
 * - the pod's ServiceAccount not seen yet: wait for it;
 * - with `catchUp`, before a negative answer (no role, invalid role, no such ServiceAccount) for a pod newer than
 *   the ServiceAccount watch: make sure the cache holds the ServiceAccount as it is now, or wait for the event that
 *   brings it;
 * - with `podGuard`, before a role is served while the pod watch is not live: confirm with the API server that the
 *   cached pod still holds the IP, or wait for the watch (the deadline then refuses: never another pod's role); a
 *   record confirmed while the current stream is open is trusted until it changes or the stream ends.
 */
export async function resolveCaller(deps: ResolverDeps, ip: string, signal: AbortSignal): Promise<Resolution> {
  /** This request's probe of the API server, for one pod at one revision. */
  let probed: { readonly pod: PodRecord; readonly version: string | null } | undefined;
  for (;;) {
    const step = resolveNow(deps, ip);
    if (step.kind === 'role' && deps.podGuard && !deps.podGuard.trusts(step.pod)) {
      const check = await deps.podGuard.check(step.pod, ip, signal);
      const now = resolveNow(deps, ip);
      if (check === 'current' && now.kind === 'role' && now.pod === step.pod) return now;
      if (check === 'current' || now.kind !== 'role' || now.pod !== step.pod) continue; // the cache moved: look again
      // The cached pod no longer holds the IP (or it cannot be told): wait for the watch to bring the change.
      try {
        await deps.waiters.wait([ipKey(ip), POD_CACHE_LIVE_KEY], signal);
      } catch {
        return { kind: 'refused', reason: 'unknown-pod' };
      }
      continue;
    }
    const negative = deps.catchUp ? negativeAnswer(step) : undefined;
    if (!negative || !deps.catchUp || deps.catchUp.isCurrent(negative.pod)) {
      if (step.kind !== 'wait') return step;
      if (negative) return step.otherwise; // the ServiceAccount is missing from a current cache: it does not exist
      try {
        await deps.waiters.wait(step.key, signal);
      } catch {
        return step.otherwise;
      }
      continue;
    }
    const { pod, answer } = negative;
    if (probed === undefined || probed.pod !== pod) {
      const version = await deps.catchUp.probe(pod, signal);
      if (version === undefined) return answer;
      probed = { pod, version };
      continue; // look again: the watch may have moved while the probe was out
    }
    if (deps.catchUp.holds(deps.serviceAccounts.get(pod.namespace, pod.serviceAccountName), probed.version)) {
      deps.catchUp.confirm(pod);
      return answer;
    }
    // The API server has a newer ServiceAccount than the cache: its event is on the way.
    try {
      await deps.waiters.wait([serviceAccountWaitKey(pod.namespace, pod.serviceAccountName), SERVICE_ACCOUNT_PROGRESS_KEY], signal);
    } catch {
      return answer;
    }
  }
}

/** A resolution that names the caller's role. */
export type RoleResolution = Extract<Resolution, { readonly kind: 'role' }>;

/**
 * The caller's role when resolveCaller would answer it at once from the caches (no wait, no confirmation with the
 * API server); undefined for every other case, which must go through resolveCaller. Same rules: one step of it.
 */
export function roleNow(deps: ResolverDeps, ip: string): RoleResolution | undefined {
  const step = resolveNow(deps, ip);
  return step.kind === 'role' && (!deps.podGuard || deps.podGuard.trusts(step.pod)) ? step : undefined;
}

type Step = Resolution | { readonly kind: 'wait'; readonly key: string; readonly otherwise: Resolution & { readonly pod?: PodRecord } };

/** The pod and answer of a step that would tell the caller it has no role; undefined for any other step. */
function negativeAnswer(step: Step): { readonly pod: PodRecord; readonly answer: Resolution } | undefined {
  switch (step.kind) {
    case 'no-role':
    case 'invalid-role':
    case 'denied':
      return { pod: step.pod, answer: step };
    case 'wait':
      return step.otherwise.kind === 'refused' && step.otherwise.reason === 'unknown-service-account' && step.otherwise.pod
        ? { pod: step.otherwise.pod, answer: step.otherwise }
        : undefined;
    default:
      return undefined;
  }
}

function resolveNow(deps: ResolverDeps, ip: string): Step {
  const found = deps.pods.lookup(ip);
  switch (found.kind) {
    case 'unknown':
      return { kind: 'wait', key: ipKey(ip), otherwise: { kind: 'refused', reason: 'unknown-pod' } };
    case 'ambiguous':
      return { kind: 'refused', reason: 'ambiguous-ip', pods: found.pods };
    case 'host-network':
      return { kind: 'refused', reason: 'host-network', pod: found.pod };
    case 'pod':
      break;
  }
  const pod = found.pod;
  const sa = deps.serviceAccounts.get(pod.namespace, pod.serviceAccountName);
  if (!sa) {
    return {
      kind: 'wait',
      key: serviceAccountWaitKey(pod.namespace, pod.serviceAccountName),
      otherwise: { kind: 'refused', reason: 'unknown-service-account', pod },
    };
  }
  const podBinding = podBindingUnder(sa.binding, pod, deps.podRoles);
  const binding = podBinding ?? sa.binding;
  const source: BindingSource = podBinding ? 'pod' : 'service-account';
  switch (binding.kind) {
    case 'none':
      return { kind: 'no-role', pod };
    case 'invalid':
      return { kind: 'invalid-role', pod, reason: binding.reason, ...(podBinding ? { source } : {}) };
    case 'role':
      break;
  }
  if (!deps.policy) return { kind: 'role', pod, binding };
  const decision = deps.policy.decide(pod.namespace, binding.roleArn);
  if (decision === undefined) {
    const reason = `namespace ${pod.namespace} is not known (yet), so no role is permitted there (--namespace-restrictions)`;
    return { kind: 'wait', key: namespaceWaitKey(pod.namespace), otherwise: { kind: 'denied', pod, roleArn: binding.roleArn, reason, source } };
  }
  return decision.permitted ? { kind: 'role', pod, binding } : { kind: 'denied', pod, roleArn: binding.roleArn, reason: decision.reason, source };
}
