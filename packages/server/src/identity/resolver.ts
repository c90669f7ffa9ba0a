import type { PodIndex } from '../kube/pod-index.js';
import type { PodRecord } from '../kube/pod-record.js';
import { serviceAccountKey, type ServiceAccountIndex } from '../kube/service-account-index.js';
import type { KeyedWaiters } from './keyed-waiters.js';
import type { RoleBinding } from './role-binding.js';

export type RoleOf<B> = B extends { kind: 'role' } ? B : never;

/** The answer to "which role does the caller at this IP get?". */
export type Resolution =
  | { readonly kind: 'role'; readonly pod: PodRecord; readonly binding: RoleOf<RoleBinding> }
  | { readonly kind: 'no-role'; readonly pod: PodRecord }
  | { readonly kind: 'invalid-role'; readonly pod: PodRecord; readonly reason: string }
  | { readonly kind: 'refused'; readonly reason: RefusalReason; readonly pod?: PodRecord; readonly pods?: readonly PodRecord[] };

export type RefusalReason = 'unknown-pod' | 'ambiguous-ip' | 'host-network' | 'unknown-service-account';

export function ipKey(ip: string): string {
  return `ip:${ip}`;
}
export function serviceAccountWaitKey(namespace: string, name: string): string {
  return `sa:${serviceAccountKey(namespace, name)}`;
}

export interface ResolverDeps {
  readonly pods: Pick<PodIndex, 'lookup'>;
  readonly serviceAccounts: Pick<ServiceAccountIndex, 'get'>;
  readonly waiters: KeyedWaiters;
}

/**
 * Caller IP → Pod → ServiceAccount → role binding. When the answer is not yet knowable (the pod or its
 * ServiceAccount has not been seen yet) it waits, event-driven, until the watch delivers it or the signal aborts
 * (deadline or client gone); then it answers with what it knows.
 */
export async function resolveCaller(deps: ResolverDeps, ip: string, signal: AbortSignal): Promise<Resolution> {
  for (;;) {
    const step = resolveNow(deps, ip);
    if (step.kind !== 'wait') return step;
    try {
      await deps.waiters.wait(step.key, signal);
    } catch {
      return step.otherwise;
    }
  }
}

type Step = Resolution | { readonly kind: 'wait'; readonly key: string; readonly otherwise: Resolution };

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
  switch (sa.binding.kind) {
    case 'none':
      return { kind: 'no-role', pod };
    case 'invalid':
      return { kind: 'invalid-role', pod, reason: sa.binding.reason };
    case 'role':
      return { kind: 'role', pod, binding: sa.binding };
  }
}
