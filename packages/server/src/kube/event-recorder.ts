import type { Clock, Logger, Timer } from '@iam4kube/shared';

/** The object an event is about. */
export interface ObjectRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** An event on a pod (the usual case), on a ServiceAccount, or on a Namespace (cluster-scoped: no namespace of its own). */
export type EventSubject =
  | { readonly pod: ObjectRef }
  | { readonly serviceAccount: ObjectRef }
  | { readonly namespaceObject: { readonly name: string; readonly uid: string } };

export type EventToRecord = EventSubject & {
  readonly type: 'Normal' | 'Warning';
  /** UpperCamelCase, short, stable: events are deduplicated by subject and reason. */
  readonly reason: string;
  readonly message: string;
};

/** Records Kubernetes Events; never blocks and never throws (events are best effort). */
export interface EventRecorder {
  /** `at`: when it happened, if the caller has already read the clock (the clock's now otherwise). */
  record(event: EventToRecord, at?: number): void;
}

/** A core/v1 Event as written to the API. */
export interface CoreEvent {
  readonly apiVersion: 'v1';
  readonly kind: 'Event';
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly involvedObject: { readonly apiVersion: 'v1'; readonly kind: 'Pod' | 'ServiceAccount' | 'Namespace' } & ObjectRef;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  readonly count: number;
  readonly firstTimestamp: string;
  readonly lastTimestamp: string;
  readonly source: { readonly component: string; readonly host?: string };
  readonly reportingComponent: string;
  readonly reportingInstance: string;
}

export interface EventUpdate {
  readonly count: number;
  readonly lastTimestamp: string;
  readonly message: string;
}

/** Where events go: the core/v1 events API (kube-event-writer.ts), or a fake in tests. */
export interface EventWriter {
  create(event: CoreEvent): Promise<void>;
  /** Updates an event created before; resolves false when it no longer exists (events expire after an hour). */
  update(namespace: string, name: string, update: EventUpdate): Promise<boolean>;
}

export interface KubeEventRecorderOptions {
  readonly writer: EventWriter;
  readonly clock: Clock;
  readonly logger: Logger;
  /** source.component and reportingComponent. */
  readonly component: string;
  /** reportingInstance: this replica (its pod name). */
  readonly instance: string;
  /** Repeats of one subject+reason within this window update one event's count (default 10 min, as client-go). */
  readonly windowMs?: number;
  /** Count updates of one event are written at most this often (default 10 s). */
  readonly updateDelayMs?: number;
  /** Subjects remembered for deduplication; the oldest is forgotten past this (default 4096, as client-go). */
  readonly maxEntries?: number;
  /** Writes in flight at once; further events are dropped (and logged at debug) until some finish (default 100). */
  readonly maxInFlight?: number;
}

const MAX_MESSAGE = 1024;

interface Entry {
  /** The event as first written. */
  readonly body: CoreEvent;
  readonly first: number;
  count: number;
  written: number;
  last: number;
  message: string;
  timer: Timer | undefined;
  /** The writes of this event, in order. */
  chain: Promise<void>;
}

/**
 * Writes core/v1 Events the way client-go's recorder does: the first occurrence of a subject+reason creates an event,
 * repeats within the window raise its count (written at most every updateDelayMs), and after the window a new event
 * starts. Writes run in the background, bounded in number; failures are logged, never thrown at the caller.
 */
export class KubeEventRecorder implements EventRecorder {
  readonly #o: Required<KubeEventRecorderOptions>;
  readonly #entries = new Map<string, Entry>();
  readonly #keys = new WeakMap<EventToRecord, string>();
  readonly #inFlight = new Set<Promise<void>>();
  #seq = 0;
  #stopped = false;

  constructor(options: KubeEventRecorderOptions) {
    this.#o = { windowMs: 10 * 60_000, updateDelayMs: 10_000, maxEntries: 4096, maxInFlight: 100, ...options };
  }

  record(event: EventToRecord, at?: number): void {
    if (this.#stopped) return;
    // The metadata fast path reports the same (immutable) event object on every request: its key is built once.
    let key = this.#keys.get(event);
    if (key === undefined) {
      const [kind, ref] = subjectOf(event);
      key = `${kind}/${ref.namespace}/${ref.name}/${ref.uid}/${event.type}/${event.reason}`;
      this.#keys.set(event, key);
    }
    const now = at ?? this.#o.clock.now();
    const message = event.message.length > MAX_MESSAGE ? `${event.message.slice(0, MAX_MESSAGE - 3)}...` : event.message;
    const entry = this.#entries.get(key);
    if (entry && now - entry.first < this.#o.windowMs) {
      entry.count++;
      entry.last = now;
      entry.message = message;
      entry.timer ??= this.#o.clock.setTimeout(() => this.#flush(entry), this.#o.updateDelayMs);
      return;
    }
    if (entry) this.#forget(key, entry);
    const [kind, ref] = subjectOf(event);
    // client-go's naming: the object's name and a unique hex suffix.
    const name = `${ref.name}.${(BigInt(now) * 1_000_000n + BigInt(this.#seq++ % 1_000_000)).toString(16)}`;
    const body: CoreEvent = {
      apiVersion: 'v1',
      kind: 'Event',
      // Events about a cluster-scoped object live in "default" (as client-go's recorder writes them).
      metadata: { name, namespace: ref.namespace || 'default' },
      involvedObject: { apiVersion: 'v1', kind, namespace: ref.namespace, name: ref.name, uid: ref.uid },
      type: event.type,
      reason: event.reason,
      message,
      count: 1,
      firstTimestamp: iso(now),
      lastTimestamp: iso(now),
      source: { component: this.#o.component, host: this.#o.instance },
      reportingComponent: this.#o.component,
      reportingInstance: this.#o.instance,
    };
    const created: Entry = { body, first: now, count: 1, written: 0, last: now, message, timer: undefined, chain: Promise.resolve() };
    this.#entries.set(key, created);
    if (this.#entries.size > this.#o.maxEntries) {
      const [oldestKey, oldest] = this.#entries.entries().next().value as [string, Entry];
      this.#forget(oldestKey, oldest);
    }
    this.#enqueue(created, async () => {
      await this.#o.writer.create(body);
      created.written = 1;
    });
  }

  /** Stops recording and waits for the writes in flight (pending count updates are dropped). */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const entry of this.#entries.values()) entry.timer?.cancel();
    this.#entries.clear();
    await Promise.allSettled([...this.#inFlight]);
  }

  #flush(entry: Entry): void {
    entry.timer = undefined;
    if (this.#stopped || entry.count === entry.written) return;
    this.#enqueue(entry, async () => {
      const update = { count: entry.count, lastTimestamp: iso(entry.last), message: entry.message };
      const found = await this.#o.writer.update(entry.body.metadata.namespace, entry.body.metadata.name, update);
      if (!found) {
        // Expired or deleted: write it again, with the count so far.
        await this.#o.writer.create({ ...entry.body, ...update });
      }
      entry.written = update.count;
    });
  }

  #enqueue(entry: Entry, write: () => Promise<void>): void {
    if (this.#inFlight.size >= this.#o.maxInFlight) {
      this.#o.logger.debug({ event: entry.body.metadata.name }, 'too many event writes in flight: event dropped');
      return;
    }
    const run = entry.chain.then(write).catch((err: unknown) => {
      this.#o.logger.warn({ event: entry.body.metadata.name, namespace: entry.body.metadata.namespace, err: err instanceof Error ? err.message : String(err) }, 'cannot write a Kubernetes Event');
    });
    entry.chain = run;
    this.#inFlight.add(run);
    void run.finally(() => this.#inFlight.delete(run));
  }

  #forget(key: string, entry: Entry): void {
    entry.timer?.cancel();
    this.#entries.delete(key);
  }
}

function subjectOf(event: EventSubject): readonly ['Pod' | 'ServiceAccount' | 'Namespace', ObjectRef] {
  if ('pod' in event) return ['Pod', event.pod];
  if ('serviceAccount' in event) return ['ServiceAccount', event.serviceAccount];
  return ['Namespace', { namespace: '', name: event.namespaceObject.name, uid: event.namespaceObject.uid }];
}

function iso(ms: number): string {
  // Events carry second precision (metav1.Time).
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
