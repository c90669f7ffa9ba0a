import type { Credentials } from '../credentials/credentials.js';
import type { RoleResolution } from '../identity/resolver.js';
import type { Route } from './paths.js';
import type { PodEvent } from './pod-events.js';
import type { RenderedAnswer } from './rendered-answers.js';
import type { GuardHeaders } from './request-guard.js';

/** One answer of the fast path, with everything it was decided on. */
export interface MemoizedAnswer {
  readonly method: string;
  readonly url: string;
  /** The token presented, '' for none (the other guard headers were absent: see `memoizable`). */
  readonly token: string;
  /** From this time on the token is expired (Infinity without a token). */
  readonly validUntil: number;
  readonly route: Route;
  readonly ip: string;
  readonly found: RoleResolution;
  /**
   * The credentials in the answer; undefined for a role listing. The store is asked again on every request: the
   * memoized answer is used only while it hands out these same credentials.
   */
  readonly credentials: Credentials | undefined;
  readonly answer: RenderedAnswer;
  /** The Events each such request reports (RoleFound; none for a listing). */
  readonly events: readonly PodEvent[];
}

interface Caller {
  readonly revision: number;
  readonly answers: MemoizedAnswer[];
}

export interface AnswerMemoOptions {
  /**
   * Callers remembered at most; past this the longest-known is forgotten. Default 4,096: a full memo measured about
   * 540 B per answer (each keeps its request's path and token strings), so at most about 8.5 MiB.
   */
  readonly maxCallers?: number;
  /** Answers remembered per caller (an SDK asks for the listing, then the role, with and without a token). Default 4. */
  readonly perCaller?: number;
}

/**
 * The fast path's last answers for each caller (socket address), valid only at the cache revision they were taken at
 * (kube/cache-revision.ts): when no watch cache has taken a change since, resolving the caller again would find the
 * same pod and binding. What changes without the caches (the time, the credentials the store hands out) is checked
 * on every use: the token's expiry here, the credentials by the fast path. A request with a body or with
 * X-Forwarded-For is never answered from here.
 */
export class AnswerMemo {
  readonly #callers = new Map<string, Caller>();
  readonly #maxCallers: number;
  readonly #perCaller: number;

  constructor(options: AnswerMemoOptions = {}) {
    this.#maxCallers = options.maxCallers ?? 4096;
    this.#perCaller = options.perCaller ?? 4;
  }

  /** The answer memoized for this method and URL at this revision, if any (its token and time not yet checked). */
  find(remoteAddress: string, method: string, url: string, revision: number): MemoizedAnswer | undefined {
    const caller = this.#callers.get(remoteAddress);
    if (caller === undefined || caller.revision !== revision) return undefined;
    for (const answer of caller.answers) if (answer.url === url && answer.method === method) return answer;
    return undefined;
  }

  remember(remoteAddress: string, revision: number, answer: MemoizedAnswer): void {
    let caller = this.#callers.get(remoteAddress);
    if (caller === undefined || caller.revision !== revision) {
      if (caller === undefined && this.#callers.size >= this.#maxCallers) this.#callers.delete(this.#callers.keys().next().value!);
      caller = { revision, answers: [] };
      this.#callers.set(remoteAddress, caller);
    }
    const answers = caller.answers;
    const same = answers.findIndex((a) => a.url === answer.url && a.method === answer.method);
    if (same >= 0) answers.splice(same, 1);
    else if (answers.length >= this.#perCaller) answers.shift();
    answers.push(answer);
  }

  get size(): number {
    return this.#callers.size;
  }
}

/** Whether a request may be memoized or answered from the memo: no body, no X-Forwarded-For. */
export function memoizable(headers: GuardHeaders): boolean {
  return headers.contentLength === '' && headers.transferEncoding === '' && headers.forwardedFor === '';
}

/** Whether a memoized answer holds for a request with these headers at `now` (the same token, not yet expired). */
export function stillHolds(answer: MemoizedAnswer, headers: GuardHeaders, now: number): boolean {
  return answer.token === headers.token && memoizable(headers) && now < answer.validUntil;
}
