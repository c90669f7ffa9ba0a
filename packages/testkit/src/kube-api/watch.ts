import type { Clock, Timer } from './clock.js';
import type { StoreEvent } from './history.js';
import type { JsonObject, KubeObject } from './object.js';
import type { ResourceInfo } from './resources.js';
import type { ObjectStore } from './store.js';

/** What a watch sends to: the HTTP adapter writes lines to the response. */
export interface WatchSink {
  write(line: string): void;
  /** Ends the stream cleanly (final chunk). */
  end(): void;
  /** Cuts the connection without a final chunk. */
  destroy(): void;
}

export interface WatchRequest {
  readonly info: ResourceInfo;
  /** Only this namespace; all when undefined. */
  readonly namespace?: string | undefined;
  /** Label and field selectors, combined. */
  readonly matches: (obj: KubeObject) => boolean;
  readonly start: WatchStart;
  readonly allowBookmarks: boolean;
  readonly bookmarkIntervalMs: number;
  readonly timeoutMs?: number | undefined;
  readonly render: (obj: KubeObject) => JsonObject;
  readonly renderBookmark: (rv: number, initialEventsEnd: boolean) => JsonObject;
}

/**
 * Where a watch starts: synthetic ADDED events for the current state (then, for watch-list, a bookmark marking their
 * end), a replay of every event after a revision, or only what happens from now on.
 */
export type WatchStart =
  | { readonly from: 'initial'; readonly markEnd: boolean }
  | { readonly from: 'revision'; readonly rv: number }
  | { readonly from: 'now' };

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/**
 * One open watch stream: synthetic or replayed events first, then live store events translated through the
 * selectors (an object that stops matching is sent as DELETED, one that starts matching as ADDED), bookmarks,
 * the 410 Expired error for a revision older than the history window, and the timeout.
 */
export class WatchSession {
  readonly #store: ObjectStore;
  readonly #clock: Clock;
  readonly #request: WatchRequest;
  readonly #sink: WatchSink;
  readonly #onClose: (session: WatchSession) => void;
  #unsubscribe: (() => void) | undefined;
  #bookmarkTimer: Timer | undefined;
  #timeoutTimer: Timer | undefined;
  #closed = false;

  constructor(options: {
    store: ObjectStore;
    clock: Clock;
    request: WatchRequest;
    sink: WatchSink;
    onClose: (session: WatchSession) => void;
  }) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#request = options.request;
    this.#sink = options.sink;
    this.#onClose = options.onClose;
  }

  get allowsBookmarks(): boolean {
    return this.#request.allowBookmarks;
  }

  start(): void {
    const req = this.#request;
    const start = req.start;
    if (start.from === 'revision') {
      const replay = this.#store.history.since(start.rv);
      if (replay === undefined) {
        this.#send('ERROR', {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `too old resource version: ${start.rv} (${this.#store.history.floor})`,
          reason: 'Expired',
          code: 410,
        });
        this.end();
        return;
      }
      this.#unsubscribe = this.#store.subscribe((event) => this.#onEvent(event));
      for (const event of replay) this.#onEvent(event);
    } else {
      this.#unsubscribe = this.#store.subscribe((event) => this.#onEvent(event));
      if (start.from === 'initial') {
        for (const obj of this.#store.list(req.info, req.namespace)) if (req.matches(obj)) this.#send('ADDED', req.render(obj));
        if (start.markEnd) this.bookmark(true);
      }
    }
    if (req.allowBookmarks && req.bookmarkIntervalMs > 0) this.#scheduleBookmark();
    if (req.timeoutMs !== undefined) this.#timeoutTimer = this.#clock.setTimeout(() => this.end(), req.timeoutMs);
  }

  /** Sends a BOOKMARK at the current revision (only on bookmark-enabled watches). */
  bookmark(initialEventsEnd = false): void {
    if (this.#closed || !this.#request.allowBookmarks) return;
    this.#send('BOOKMARK', this.#request.renderBookmark(this.#store.resourceVersion, initialEventsEnd));
  }

  /** Ends the stream cleanly. */
  end(): void {
    if (this.#close()) this.#sink.end();
  }

  /** Cuts the connection abruptly (fault injection). */
  drop(): void {
    if (this.#close()) this.#sink.destroy();
  }

  /** The client went away. */
  clientClosed(): void {
    this.#close();
  }

  #close(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    this.#unsubscribe?.();
    this.#bookmarkTimer?.cancel();
    this.#timeoutTimer?.cancel();
    this.#onClose(this);
    return true;
  }

  #scheduleBookmark(): void {
    this.#bookmarkTimer = this.#clock.setTimeout(() => {
      this.bookmark();
      if (!this.#closed) this.#scheduleBookmark();
    }, this.#request.bookmarkIntervalMs);
  }

  #onEvent(event: StoreEvent): void {
    const req = this.#request;
    if (this.#closed || event.resource !== req.info) return;
    if (req.namespace !== undefined && (event.object.metadata.namespace ?? '') !== req.namespace) return;
    const was = event.type !== 'ADDED' && event.previous !== undefined && req.matches(event.previous);
    const is = event.type !== 'DELETED' && req.matches(event.object);
    if (event.type === 'DELETED') {
      if (was) this.#send('DELETED', req.render(event.object));
    } else if (is) {
      this.#send(was ? 'MODIFIED' : 'ADDED', req.render(event.object));
    } else if (was) {
      this.#send('DELETED', req.render(event.object));
    }
  }

  #send(type: WatchEventType, object: JsonObject): void {
    this.#sink.write(`${JSON.stringify({ type, object })}\n`);
  }
}
