/**
 * What the cluster says, over time: which role each ServiceAccount had when, and which pod held which IP when. An
 * answer is right when the role it names is one that the caller's pod had at some instant while its request was in
 * flight (a ServiceAccount re-annotated mid-request may be answered either way).
 */
export interface PodTruth {
  readonly name: string;
  readonly ip: string;
  readonly serviceAccount: string;
}

interface Span {
  readonly role: string;
  readonly from: number;
  to: number;
}

export class GroundTruth {
  readonly #roles = new Map<string, Span[]>();
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** The ServiceAccount names `role` from now on. */
  setRole(serviceAccount: string, role: string): void {
    const spans = this.#roles.get(serviceAccount) ?? [];
    const now = this.#now();
    const last = spans.at(-1);
    if (last) last.to = now;
    spans.push({ role, from: now, to: Number.POSITIVE_INFINITY });
    this.#roles.set(serviceAccount, spans);
  }

  roleNow(serviceAccount: string): string {
    const role = this.#roles.get(serviceAccount)?.at(-1)?.role;
    if (role === undefined) throw new Error(`no role for ${serviceAccount}`);
    return role;
  }

  /**
   * How an answer naming `role` to `pod`'s request compares with the truth: 'right' (the pod had the role at some
   * instant of [sentAt, receivedAt]), 'stale' (its ServiceAccount named the role before the request was sent; `lagMs`
   * since it stopped), or 'wrong' (a role the pod never had: another pod's).
   */
  judge(pod: PodTruth, role: string, sentAt: number, receivedAt: number): { verdict: 'right' | 'stale' | 'wrong'; lagMs: number } {
    if (this.allows(pod, role, sentAt, receivedAt)) return { verdict: 'right', lagMs: 0 };
    const earlier = (this.#roles.get(pod.serviceAccount) ?? []).filter((s) => s.role === role && s.from <= receivedAt);
    if (earlier.length === 0) return { verdict: 'wrong', lagMs: 0 };
    return { verdict: 'stale', lagMs: sentAt - Math.max(...earlier.map((s) => s.to)) };
  }

  /** Whether `pod` had `role` at some instant of [sentAt, receivedAt]. */
  allows(pod: PodTruth, role: string, sentAt: number, receivedAt: number): boolean {
    return (this.#roles.get(pod.serviceAccount) ?? []).some((s) => s.role === role && s.from <= receivedAt && s.to >= sentAt);
  }
}
