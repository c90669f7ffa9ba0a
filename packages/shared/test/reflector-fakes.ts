// Fakes for the reflector tests: an API server whose lists and watch streams the test scripts, and a recording sink.
import { Writable } from 'node:stream';
import { ManualClock } from '../src/manual-clock.js';
import { createLogger } from '../src/logger.js';
import { Reflector, type ListWatcher, type ReflectorSink } from '../src/reflector.js';
import type { KubeObject, WatchEvent } from '../src/kube-object.js';

export const logger = createLogger({ level: 'silent', stream: new Writable({ write: (_c, _e, cb) => cb() }) });

/** A fake API server: the test decides what each list and each watch stream does. */
export class FakeSource implements ListWatcher {
  lists = 0;
  watches: string[] = [];
  listResult: { items: KubeObject[]; resourceVersion: string } = { items: [], resourceVersion: '10' };
  listError: Error | undefined;
  #stream: { emit: (e: WatchEvent) => void; end: (err?: Error) => void } | undefined;

  async list(): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    this.lists++;
    if (this.listError) throw this.listError;
    return this.listResult;
  }

  /** When set, the next watch fails before it opens (as an HTTP error would). */
  refuseNext: Error | undefined;

  watch(resourceVersion: string, onEvent: (e: WatchEvent) => void, signal: AbortSignal, onOpen?: () => void): Promise<void> {
    this.watches.push(resourceVersion);
    if (this.refuseNext) {
      const err = this.refuseNext;
      this.refuseNext = undefined;
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.#stream = { emit: onEvent, end: (err) => (err ? reject(err) : resolve()) };
      if (signal.aborted) resolve();
      else onOpen?.();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  emit(type: WatchEvent['type'], name: string, rv: string): void {
    this.#stream!.emit({ type, object: obj(name, rv) });
  }
  emitRaw(e: WatchEvent): void {
    this.#stream!.emit(e);
  }
  end(err?: Error): void {
    this.#stream!.end(err);
  }
}

export function obj(name: string, rv: string): KubeObject {
  return { metadata: { name, namespace: 'ns', uid: name, resourceVersion: rv } };
}

export class RecordingSink implements ReflectorSink {
  objects = new Map<string, string>();
  replaced = 0;
  progress: ((rv: string) => void) | undefined;
  connected: ((open: boolean) => void) | undefined;
  replace(objects: readonly KubeObject[]): void {
    this.replaced++;
    this.objects = new Map(objects.map((o) => [o.metadata!.name!, o.metadata!.resourceVersion!]));
  }
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', o: KubeObject): void {
    if (type === 'DELETED') this.objects.delete(o.metadata!.name!);
    else this.objects.set(o.metadata!.name!, o.metadata!.resourceVersion!);
  }
}

export function setup() {
  const clock = new ManualClock(0);
  const source = new FakeSource();
  const sink = new RecordingSink();
  const reflector = new Reflector({ name: 'test', source, sink, clock, logger, random: () => 0.5, backoffInitialMs: 800, backoffMaxMs: 30_000, minWatchMs: 1000 });
  return { clock, source, sink, reflector };
}

