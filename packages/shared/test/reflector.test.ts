import test from 'ava';
import { Writable } from 'node:stream';
import { ManualClock, flushMicrotasks } from '../src/manual-clock.js';
import { createLogger } from '../src/logger.js';
import { Reflector, type ListWatcher, type ReflectorSink } from '../src/reflector.js';
import { KubeApiError, type KubeObject, type WatchEvent } from '../src/kube-object.js';

const logger = createLogger({ level: 'silent', stream: new Writable({ write: (_c, _e, cb) => cb() }) });

/** A fake API server: the test decides what each list and each watch stream does. */
class FakeSource implements ListWatcher {
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

  watch(resourceVersion: string, onEvent: (e: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    this.watches.push(resourceVersion);
    return new Promise((resolve, reject) => {
      this.#stream = { emit: onEvent, end: (err) => (err ? reject(err) : resolve()) };
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

function obj(name: string, rv: string): KubeObject {
  return { metadata: { name, namespace: 'ns', uid: name, resourceVersion: rv } };
}

class RecordingSink implements ReflectorSink {
  objects = new Map<string, string>();
  replaced = 0;
  replace(objects: readonly KubeObject[]): void {
    this.replaced++;
    this.objects = new Map(objects.map((o) => [o.metadata!.name!, o.metadata!.resourceVersion!]));
  }
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', o: KubeObject): void {
    if (type === 'DELETED') this.objects.delete(o.metadata!.name!);
    else this.objects.set(o.metadata!.name!, o.metadata!.resourceVersion!);
  }
}

function setup() {
  const clock = new ManualClock(0);
  const source = new FakeSource();
  const sink = new RecordingSink();
  const reflector = new Reflector({ name: 'test', source, sink, clock, logger, random: () => 0.5, backoffInitialMs: 800, backoffMaxMs: 30_000, minWatchMs: 1000 });
  return { clock, source, sink, reflector };
}

test('lists, becomes synced, then watches from the list resourceVersion and applies events', async (t) => {
  const { source, sink, reflector } = setup();
  source.listResult = { items: [obj('a', '5')], resourceVersion: '10' };
  t.false(reflector.synced);
  reflector.start();
  await reflector.whenSynced();
  await flushMicrotasks();
  t.true(reflector.synced);
  t.deepEqual(source.watches, ['10']);
  source.emit('ADDED', 'b', '11');
  source.emit('MODIFIED', 'a', '12');
  source.emit('DELETED', 'b', '13');
  t.deepEqual([...sink.objects], [['a', '12']]);
  t.is(reflector.resourceVersion, '13');
  source.emitRaw({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '20' } } });
  t.is(reflector.resourceVersion, '20');
  t.deepEqual([...sink.objects], [['a', '12']], 'a bookmark changes no object');
  await reflector.stop();
});

test('a productive stream that ends is resumed at once from the last resourceVersion', async (t) => {
  const { source, reflector } = setup();
  reflector.start();
  await flushMicrotasks();
  source.emit('ADDED', 'a', '11');
  source.end();
  await flushMicrotasks();
  t.deepEqual(source.watches, ['10', '11']);
  t.is(source.lists, 1);
  await reflector.stop();
});

test('410 Gone as an ERROR event makes it relist, then watch from the new list', async (t) => {
  const { source, sink, reflector } = setup();
  reflector.start();
  await flushMicrotasks();
  source.listResult = { items: [obj('z', '90')], resourceVersion: '100' };
  source.emitRaw({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' } as unknown as KubeObject });
  await flushMicrotasks();
  t.is(source.lists, 2);
  t.is(sink.replaced, 2);
  t.deepEqual([...sink.objects], [['z', '90']]);
  t.deepEqual(source.watches, ['10', '100']);
  await reflector.stop();
});

test('410 as an HTTP status also relists', async (t) => {
  const { clock, source, reflector } = setup();
  reflector.start();
  await flushMicrotasks();
  source.end(new KubeApiError(410, 'gone'));
  await clock.advance(1000);
  t.is(source.lists, 2);
  await reflector.stop();
});

test('streams that end at once back off exponentially with a cap: no hot loop', async (t) => {
  const { clock, source, reflector } = setup();
  reflector.start();
  await flushMicrotasks();
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) {
    const before = source.watches.length;
    source.end();
    await flushMicrotasks();
    let waited = 0;
    while (source.watches.length === before) {
      await clock.advance(100);
      waited += 100;
      if (waited > 60_000) break;
    }
    delays.push(waited);
  }
  // random() = 0.5 → delay is 3/4 of the ceiling: 600, 1200, 2400, ... capped at 22,500.
  t.deepEqual(delays, [600, 1200, 2400, 4800, 9600, 19200, 22500, 22500]);
  await reflector.stop();
});

test('a failed list is retried after a backoff and only then syncs', async (t) => {
  const { clock, source, reflector } = setup();
  source.listError = new KubeApiError(500, 'boom');
  reflector.start();
  await flushMicrotasks();
  t.false(reflector.synced);
  t.is(source.lists, 1);
  source.listError = undefined;
  await clock.advance(599);
  t.is(source.lists, 1);
  await clock.advance(1);
  t.is(source.lists, 2);
  t.true(reflector.synced);
  await reflector.stop();
});
