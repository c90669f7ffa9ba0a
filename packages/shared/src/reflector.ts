import type { Logger } from 'pino';
import { sleep, type Clock } from './clock.js';
import { KubeApiError, type KubeObject, type ListResult, type WatchEvent } from './kube-object.js';

/** The reflector's view of the API server: a list, and a watch from a version until the server ends the stream. */
export interface ListWatcher {
  list(signal: AbortSignal): Promise<ListResult>;
  /**
   * Delivers events in order; resolves when the stream ends, rejects on a transport or HTTP error. Calls `onOpen`
   * once the server has accepted the watch (before any event).
   */
  watch(resourceVersion: string, onEvent: (event: WatchEvent) => void, signal: AbortSignal, onOpen?: () => void): Promise<void>;
}

/** Where a reflector puts what it sees. */
export interface ReflectorSink {
  replace(objects: readonly KubeObject[], resourceVersion: string): void;
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeObject): void;
  /** Called after every event and bookmark with the newest resourceVersion seen. */
  progress?(resourceVersion: string): void;
  /**
   * Called with true when a watch stream has opened, and with false when it has ended: while none is open the sink
   * misses changes (backoff, relist, API server unreachable).
   */
  connected?(open: boolean): void;
}

export interface ReflectorOptions {
  readonly name: string;
  readonly source: ListWatcher;
  readonly sink: ReflectorSink;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Backoff after errors and after streams that end at once: initial and cap, in ms. */
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  /** A watch that ends sooner than this without delivering anything counts as a failure (no hot loop). */
  readonly minWatchMs?: number;
  /** Injected for tests; returns [0, 1). */
  readonly random?: () => number;
}

/**
 * List, then watch from the list's resourceVersion; relist on 410 Gone; reconnect with capped exponential backoff
 * and jitter on errors and on streams that end at once. Like client-go's reflector, without keeping whole objects:
 * the sink projects what it needs.
 */
export class Reflector {
  readonly #o: Required<Omit<ReflectorOptions, 'random'>> & { random: () => number };
  readonly #abort = new AbortController();
  #resourceVersion = '';
  #synced = false;
  #failures = 0;
  #loop: Promise<void> | undefined;
  readonly #syncedWaiters: Array<() => void> = [];

  constructor(options: ReflectorOptions) {
    this.#o = {
      backoffInitialMs: 800,
      backoffMaxMs: 30_000,
      minWatchMs: 1000,
      random: Math.random,
      ...options,
    };
  }

  get name(): string {
    return this.#o.name;
  }
  /** True once the first list has been applied. */
  get synced(): boolean {
    return this.#synced;
  }
  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  whenSynced(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncedWaiters.push(resolve));
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#abort.abort(new Error('reflector stopped'));
    await this.#loop;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.#list(signal);
          needList = false;
          if (signal.aborted) break;
        }
        const outcome = await this.#watch(signal);
        if (signal.aborted) break;
        if (outcome === 'expired') {
          this.#o.logger.info({ reflector: this.#o.name, resourceVersion: this.#resourceVersion }, 'watch expired (410), relisting');
          needList = true;
          continue;
        }
        if (outcome === 'productive') {
          this.#failures = 0;
          continue;
        }
        await this.#backoff(signal, 'watch ended at once');
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof KubeApiError && err.status === 410) needList = true;
        await this.#backoff(signal, err);
      }
    }
  }

  async #list(signal: AbortSignal): Promise<void> {
    const result = await this.#o.source.list(signal);
    this.#o.sink.replace(result.items, result.resourceVersion);
    this.#resourceVersion = result.resourceVersion;
    this.#o.sink.progress?.(this.#resourceVersion);
    if (!this.#synced) {
      this.#synced = true;
      this.#o.logger.info({ reflector: this.#o.name, objects: result.items.length }, 'initial list applied');
      for (const resolve of this.#syncedWaiters.splice(0)) resolve();
    }
  }

  /** Runs one watch stream. */
  async #watch(signal: AbortSignal): Promise<'expired' | 'productive' | 'idle'> {
    const started = this.#o.clock.now();
    let delivered = 0;
    let expired = false;
    let open = false;
    const inner = new AbortController();
    const onAbort = (): void => inner.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    // stop() may have come between the list and this watch: an already aborted signal never fires 'abort'.
    if (signal.aborted) onAbort();
    try {
      await this.#o.source.watch(
        this.#resourceVersion,
        (event) => {
          if (expired || inner.signal.aborted) return;
          if (event.type === 'ERROR') {
            const status = Number((event.object as { code?: unknown }).code ?? 0);
            if (status === 410) expired = true;
            inner.abort(new KubeApiError(status, String((event.object as { message?: unknown }).message ?? 'watch error')));
            return;
          }
          delivered++;
          const rv = event.object.metadata?.resourceVersion;
          if (event.type !== 'BOOKMARK') this.#o.sink.apply(event.type, event.object);
          if (rv) {
            this.#resourceVersion = rv;
            this.#o.sink.progress?.(rv);
          }
        },
        inner.signal,
        () => {
          if (open || inner.signal.aborted) return;
          open = true;
          this.#o.sink.connected?.(true);
        },
      );
    } catch (err) {
      if (!inner.signal.aborted || signal.aborted) throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (open) this.#o.sink.connected?.(false);
    }
    if (expired) return 'expired';
    if (inner.signal.aborted && !signal.aborted) throw inner.signal.reason;
    return delivered > 0 || this.#o.clock.now() - started >= this.#o.minWatchMs ? 'productive' : 'idle';
  }

  async #backoff(signal: AbortSignal, reason: unknown): Promise<void> {
    const ceiling = Math.min(this.#o.backoffMaxMs, this.#o.backoffInitialMs * 2 ** this.#failures);
    this.#failures = Math.min(this.#failures + 1, 30);
    // Full jitter between half and all of the ceiling: a fleet of replicas does not reconnect in step.
    const delay = Math.round(ceiling / 2 + (this.#o.random() * ceiling) / 2);
    this.#o.logger.warn(
      { reflector: this.#o.name, delayMs: delay, err: reason instanceof Error ? reason.message : String(reason) },
      'watch failed, retrying',
    );
    try {
      await sleep(this.#o.clock, delay, signal);
    } catch {
      // stopped while waiting
    }
  }
}
