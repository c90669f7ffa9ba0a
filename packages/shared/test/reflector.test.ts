import test from 'ava';
import { ManualClock, flushMicrotasks } from '../src/manual-clock.js';
import { Reflector } from '../src/reflector.js';
import { KubeApiError, type KubeObject } from '../src/kube-object.js';
import { FakeSource, RecordingSink, logger, obj, setup } from './reflector-fakes.js';

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

test('stop() right after the first list, before the watch has opened, ends the reflector', async (t) => {
  const { source, reflector } = setup();
  reflector.start();
  await reflector.whenSynced();
  // The watch has not been asked for yet: the loop is between the list and the watch.
  await reflector.stop();
  t.deepEqual(source.watches, [], 'no watch is opened after stop()');
});

test('a non-410 ERROR event backs off, then watches again from the same resourceVersion without a relist', async (t) => {
  const { clock, source, reflector } = setup();
  reflector.start();
  await flushMicrotasks();
  source.emit('ADDED', 'a', '11');
  source.emitRaw({ type: 'ERROR', object: { kind: 'Status', code: 500, message: 'internal error' } as unknown as KubeObject });
  await flushMicrotasks();
  t.deepEqual(source.watches, ['10']);
  await clock.advance(599);
  t.deepEqual(source.watches, ['10']);
  await clock.advance(1);
  t.deepEqual(source.watches, ['10', '11']);
  t.is(source.lists, 1);
  await reflector.stop();
});

test('an HTTP error on the watch backs off and resumes from the last resourceVersion', async (t) => {
  const { clock, source, reflector } = setup();
  reflector.start();
  await flushMicrotasks();
  source.emit('MODIFIED', 'a', '15');
  source.end(new KubeApiError(500, 'boom'));
  await clock.advance(600);
  t.deepEqual(source.watches, ['10', '15']);
  t.is(source.lists, 1);
  await reflector.stop();
});

test('bookmarks keep a quiet stream productive: it resumes at once from the bookmark', async (t) => {
  const { source, sink, reflector } = setup();
  reflector.start();
  await flushMicrotasks();
  source.emitRaw({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '42' } } });
  source.end();
  await flushMicrotasks();
  t.deepEqual(source.watches, ['10', '42']);
  t.is(sink.objects.size, 0);
  await reflector.stop();
});

test('the sink hears progress after the list, every event and every bookmark, in order', async (t) => {
  const { source, reflector, sink } = setup();
  const seen: string[] = [];
  sink.progress = (rv: string) => seen.push(rv);
  reflector.start();
  await flushMicrotasks();
  source.emit('ADDED', 'a', '11');
  source.emitRaw({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '12' } } });
  source.emit('DELETED', 'a', '13');
  t.deepEqual(seen, ['10', '11', '12', '13']);
  await reflector.stop();
});

test('a productive stream resets the backoff', async (t) => {
  const { clock, source, reflector } = setup();
  reflector.start();
  await flushMicrotasks();
  source.end();
  await clock.advance(600); // first failure: 600
  source.end();
  await clock.advance(1200); // second: 1200
  t.is(source.watches.length, 3);
  source.emit('ADDED', 'a', '11');
  source.end(); // productive: resumes at once
  await flushMicrotasks();
  t.is(source.watches.length, 4);
  source.end(); // fails again: back to the first delay
  await clock.advance(599);
  t.is(source.watches.length, 4);
  await clock.advance(1);
  t.is(source.watches.length, 5);
  await reflector.stop();
});

test('jitter spreads each delay between half and all of its ceiling', async (t) => {
  for (const [random, expected] of [
    [0, 400],
    [0.999, 800],
  ] as const) {
    const clock = new ManualClock(0);
    const source = new FakeSource();
    const reflector = new Reflector({ name: 'j', source, sink: new RecordingSink(), clock, logger, random: () => random, backoffInitialMs: 800 });
    reflector.start();
    await flushMicrotasks();
    source.end();
    await clock.advance(expected - 1);
    t.is(source.watches.length, 1, `random ${random}: not before ${expected} ms`);
    await clock.advance(1);
    t.is(source.watches.length, 2, `random ${random}: at ${expected} ms`);
    await reflector.stop();
  }
});

test('stop() during a backoff returns at once and leaves no timer behind', async (t) => {
  const { clock, source, reflector } = setup();
  reflector.start();
  await flushMicrotasks();
  source.end();
  await flushMicrotasks();
  t.is(clock.pendingTimers, 1);
  await reflector.stop();
  t.is(clock.pendingTimers, 0);
  await clock.advance(60_000);
  t.is(source.watches.length, 1);
});

test('every whenSynced() caller is released by the first list', async (t) => {
  const { reflector } = setup();
  const a = reflector.whenSynced();
  const b = reflector.whenSynced();
  reflector.start();
  await Promise.all([a, b]);
  t.true(reflector.synced);
  await reflector.whenSynced();
  await reflector.stop();
});

test('the sink hears when a watch stream opens and when it ends; a watch refused before opening is not "connected"', async (t) => {
  const { clock, source, reflector, sink } = setup();
  const seen: boolean[] = [];
  sink.connected = (open) => seen.push(open);
  reflector.start();
  await flushMicrotasks();
  t.deepEqual(seen, [true]);
  source.refuseNext = new KubeApiError(503, 'unavailable');
  source.end(new Error('connection reset'));
  await flushMicrotasks();
  t.deepEqual(seen, [true, false]);
  await clock.advance(600);
  t.deepEqual(seen, [true, false], 'the refused watch never opened');
  await clock.advance(1200);
  t.deepEqual(seen, [true, false, true]);
  await reflector.stop();
  t.deepEqual(seen, [true, false, true, false]);
});
