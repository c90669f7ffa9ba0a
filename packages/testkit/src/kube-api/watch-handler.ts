import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from './clock.js';
import { badRequest, methodNotAllowed } from './errors.js';
import { parseResourceVersion, selectorPredicate } from './list-options.js';
import type { Registry } from './registry.js';
import type { RenderContext } from './representation.js';
import { bookmarkObject, renderObject } from './representation.js';
import type { ResourceRoute } from './routes.js';
import type { WatchStart } from './watch.js';
import { WatchSession } from './watch.js';

/** The open watch streams: counted, bookmarked and dropped together. */
export class WatchHub {
  readonly #sessions = new Set<WatchSession>();
  #waiters: { count: number; resolve: () => void }[] = [];
  readonly bookmarkIntervalMs: number;

  constructor(bookmarkIntervalMs: number) {
    this.bookmarkIntervalMs = bookmarkIntervalMs;
  }

  get size(): number {
    return this.#sessions.size;
  }

  add(session: WatchSession): void {
    this.#sessions.add(session);
    const due = this.#waiters.filter((w) => this.#sessions.size >= w.count);
    this.#waiters = this.#waiters.filter((w) => !due.includes(w));
    for (const waiter of due) waiter.resolve();
  }

  /** Resolves once `count` streams are open at the same time. */
  waitFor(count: number): Promise<void> {
    if (this.#sessions.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  delete(session: WatchSession): void {
    this.#sessions.delete(session);
  }

  bookmarkAll(): void {
    for (const session of [...this.#sessions]) session.bookmark();
  }

  dropAll(clean = false): void {
    for (const session of [...this.#sessions]) {
      if (clean) session.end();
      else session.drop();
    }
  }
}

interface WatchCall {
  readonly ctx: { readonly registry: Registry; readonly clock: Clock; readonly watches: WatchHub };
  readonly route: ResourceRoute;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly query: URLSearchParams;
}

function flag(value: string | null): boolean | undefined {
  if (value === null) return undefined;
  return value === 'true' || value === '1';
}

function watchStart(query: URLSearchParams, allowBookmarks: boolean): WatchStart {
  const rv = parseResourceVersion(query.get('resourceVersion') ?? undefined);
  const initial = flag(query.get('sendInitialEvents'));
  if (initial === true) {
    if (query.get('resourceVersionMatch') !== 'NotOlderThan') {
      throw badRequest('sendInitialEvents is forbidden unless resourceVersionMatch is NotOlderThan');
    }
    return { from: 'initial', markEnd: allowBookmarks };
  }
  if (rv === undefined || rv === 0) return initial === false ? { from: 'now' } : { from: 'initial', markEnd: false };
  return { from: 'revision', rv };
}

/** Opens a chunked stream of newline-delimited watch events on the response. */
export function handleWatch(call: WatchCall, render: RenderContext, name?: string): void {
  const { info } = call.route;
  if (!info.verbs.includes('watch')) throw methodNotAllowed();
  const { query } = call;
  const fieldSelector = [query.get('fieldSelector') ?? '', name === undefined ? '' : `metadata.name=${name}`]
    .filter((s) => s !== '')
    .join(',');
  const matches = selectorPredicate(info, query.get('labelSelector') ?? '', fieldSelector);
  const allowBookmarks = flag(query.get('allowWatchBookmarks')) === true;
  const start = watchStart(query, allowBookmarks);
  const timeout = query.get('timeoutSeconds');
  const timeoutMs = timeout === null || timeout === '' ? undefined : Number(timeout) * 1000;
  const { res, ctx } = call;

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  const session = new WatchSession({
    store: ctx.registry.store,
    clock: ctx.clock,
    request: {
      info,
      namespace: call.route.namespace,
      matches,
      start,
      allowBookmarks,
      bookmarkIntervalMs: ctx.watches.bookmarkIntervalMs,
      timeoutMs: timeoutMs !== undefined && Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : undefined,
      render: (obj) => renderObject({ ...render, now: ctx.clock.now() }, obj),
      renderBookmark: (rv, end) => bookmarkObject(render, rv, end),
    },
    sink: {
      write: (line) => res.write(line),
      end: () => res.end(),
      destroy: () => res.destroy(),
    },
    onClose: (s) => ctx.watches.delete(s),
  });
  ctx.watches.add(session);
  res.on('close', () => session.clientClosed());
  session.start();
}
