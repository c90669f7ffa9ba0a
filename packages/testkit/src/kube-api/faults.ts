import type { ApiError } from './errors.js';
import { errorForCode } from './errors.js';

export interface FailureFilter {
  readonly method?: string;
  /** A path prefix, or a pattern tested against the path. */
  readonly path?: string | RegExp;
}

export interface FailOptions extends FailureFilter {
  /** Sets the Retry-After header and details.retryAfterSeconds (what clients honour on 429 and 5xx). */
  readonly retryAfterSeconds?: number;
}

interface PendingFailure {
  remaining: number;
  readonly code: number;
  readonly options: FailOptions;
}

/** Hooks the fault controls need from the emulator. */
export interface FaultTargets {
  dropWatches(options?: { clean?: boolean }): void;
  compact(): void;
}

/**
 * Fault injection for tests: fail the next requests, add latency, cut watch streams, forget history. The router
 * consults takeFailure() and latencyMs on every request.
 */
export class Faults {
  readonly #targets: FaultTargets;
  #pending: PendingFailure[] = [];
  #latencyMs = 0;

  constructor(targets: FaultTargets) {
    this.#targets = targets;
  }

  /** The next `count` requests (matching the filter, if any) fail with `code` and a Status of the real reason. */
  failNext(count: number, code = 500, options: FailOptions = {}): void {
    if (count > 0) this.#pending.push({ remaining: count, code, options });
  }

  /** Delays every response (including watch headers) by `ms` on the emulator's clock. 0 turns it off. */
  setLatency(ms: number): void {
    this.#latencyMs = Math.max(0, ms);
  }

  /** Ends every open watch stream: abruptly by default (no final chunk), or cleanly with `{ clean: true }`. */
  dropWatches(options?: { clean?: boolean }): void {
    this.#targets.dropWatches(options);
  }

  /** Forgets the event history: any older resourceVersion now gets 410 Expired. */
  compact(): void {
    this.#targets.compact();
  }

  /** Clears pending failures and latency. */
  reset(): void {
    this.#pending = [];
    this.#latencyMs = 0;
  }

  get latencyMs(): number {
    return this.#latencyMs;
  }

  /** The injected error for this request, if one is due (consumes it). */
  takeFailure(method: string, path: string): ApiError | undefined {
    const entry = this.#pending.find((p) => matches(p.options, method, path));
    if (!entry) return undefined;
    entry.remaining--;
    if (entry.remaining <= 0) this.#pending = this.#pending.filter((p) => p !== entry);
    return errorForCode(entry.code, entry.options.retryAfterSeconds);
  }
}

function matches(filter: FailureFilter, method: string, path: string): boolean {
  if (filter.method && filter.method.toUpperCase() !== method) return false;
  if (filter.path === undefined) return true;
  return typeof filter.path === 'string' ? path.startsWith(filter.path) : filter.path.test(path);
}

