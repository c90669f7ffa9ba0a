import test from 'ava';
import { Writable } from 'node:stream';
import { ManualClock, createLogger, flushMicrotasks } from '@iam4kube/shared';
import { KubeEventRecorder, type CoreEvent, type EventUpdate, type EventWriter } from '../../src/kube/event-recorder.js';

/** Keeps events like the API server would: by namespace/name; updates of unknown events say "not found". */
class FakeEventApi implements EventWriter {
  readonly events = new Map<string, CoreEvent>();
  calls: string[] = [];
  failNext = 0;
  /** When set, writes wait for release() (to hold them in flight). */
  hold: Promise<void> | undefined;
  async create(event: CoreEvent): Promise<void> {
    this.calls.push(`create ${event.metadata.name} ${event.count}`);
    await this.hold;
    if (this.failNext > 0 && this.failNext--) throw new Error('403 forbidden');
    this.events.set(`${event.metadata.namespace}/${event.metadata.name}`, event);
  }
  async update(namespace: string, name: string, update: EventUpdate): Promise<boolean> {
    this.calls.push(`update ${name} ${update.count}`);
    await this.hold;
    const key = `${namespace}/${name}`;
    const event = this.events.get(key);
    if (!event) return false;
    this.events.set(key, { ...event, ...update });
    return true;
  }
  single(): CoreEvent {
    if (this.events.size !== 1) throw new Error(`${this.events.size} events`);
    return [...this.events.values()][0]!;
  }
}

function setup(options: { maxEntries?: number; maxInFlight?: number } = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const api = new FakeEventApi();
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', stream: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
  const recorder = new KubeEventRecorder({ writer: api, clock, logger, component: 'iam4kube-server', instance: 'replica-a', updateDelayMs: 10_000, windowMs: 600_000, ...options });
  return { clock, api, lines, recorder };
}

const POD = { namespace: 'demo', name: 'web-1', uid: 'u-1' };
const warn = (reason = 'AmbiguousPodIP', message = 'm') => ({ pod: POD, type: 'Warning' as const, reason, message });

test('the first occurrence creates a core/v1 Event on the pod', async (t) => {
  const { api, recorder } = setup();
  recorder.record(warn('AmbiguousPodIP', 'IP shared'));
  await flushMicrotasks();
  const event = api.single();
  t.like(event, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { namespace: 'demo' },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: 'demo', name: 'web-1', uid: 'u-1' },
    type: 'Warning',
    reason: 'AmbiguousPodIP',
    message: 'IP shared',
    count: 1,
    firstTimestamp: '2026-01-01T12:00:00Z',
    lastTimestamp: '2026-01-01T12:00:00Z',
    source: { component: 'iam4kube-server', host: 'replica-a' },
    reportingComponent: 'iam4kube-server',
    reportingInstance: 'replica-a',
  });
  t.regex(event.metadata.name, /^web-1\.[0-9a-f]+$/);
});

test('repeats within the window raise one count, written once per update delay', async (t) => {
  const { clock, api, recorder } = setup();
  recorder.record(warn());
  await clock.advance(1000);
  for (let i = 0; i < 50; i++) recorder.record(warn('AmbiguousPodIP', `repeat ${i}`));
  await clock.advance(9_999);
  t.is(api.calls.length, 1, 'no update before the delay');
  await clock.advance(1);
  t.is(api.calls.length, 2);
  t.like(api.single(), { count: 51, message: 'repeat 49', lastTimestamp: '2026-01-01T12:00:01Z', firstTimestamp: '2026-01-01T12:00:00Z' });
  await clock.advance(60_000);
  t.is(api.calls.length, 2, 'nothing new, nothing written');
});

test('different reasons and different pods are different events', async (t) => {
  const { api, recorder } = setup();
  recorder.record(warn('A'));
  recorder.record(warn('B'));
  recorder.record({ ...warn('A'), pod: { ...POD, uid: 'u-2', name: 'web-2' } });
  recorder.record({ serviceAccount: { namespace: 'demo', name: 'app', uid: 'sa-1' }, type: 'Warning', reason: 'A', message: 'bad annotation' });
  await flushMicrotasks();
  t.is(api.events.size, 4);
  t.truthy([...api.events.values()].find((e) => e.involvedObject.kind === 'ServiceAccount' && e.involvedObject.name === 'app'));
});

test('after the window a new event starts', async (t) => {
  const { clock, api, recorder } = setup();
  recorder.record(warn());
  await clock.advance(600_000);
  recorder.record(warn());
  await flushMicrotasks();
  t.is(api.events.size, 2);
  t.true([...api.events.values()].every((e) => e.count === 1));
});

test('a time the caller already read is the time of the occurrence (the window and timestamps follow it)', async (t) => {
  const { api, clock, recorder } = setup();
  const start = clock.now();
  recorder.record(warn('RoleFound', 'served'), start - 2000);
  recorder.record(warn('RoleFound', 'served'), start - 1000);
  await clock.advance(10_000);
  t.like(api.single(), { count: 2, firstTimestamp: '2026-01-01T11:59:58Z', lastTimestamp: '2026-01-01T11:59:59Z' });
  // 600 s after the first occurrence as the caller timed it: a new event, though the clock has moved less.
  recorder.record(warn('RoleFound', 'served'), start - 2000 + 600_000);
  await flushMicrotasks();
  t.is(api.events.size, 2);
});

test('an event that expired on the server is written again with its count', async (t) => {
  const { clock, api, recorder } = setup();
  recorder.record(warn());
  await flushMicrotasks();
  api.events.clear();
  recorder.record(warn());
  await clock.advance(10_000);
  t.like(api.single(), { count: 2 });
  t.deepEqual(api.calls.map((c) => c.split(' ')[0]), ['create', 'update', 'create']);
});

test('a failed write is logged, never thrown, and the next occurrence is still recorded', async (t) => {
  const { clock, api, lines, recorder } = setup();
  api.failNext = 1;
  t.notThrows(() => recorder.record(warn()));
  await flushMicrotasks();
  t.true(lines.some((l) => l.includes('cannot write a Kubernetes Event') && l.includes('403 forbidden')));
  recorder.record(warn());
  await clock.advance(10_000);
  t.like(api.single(), { count: 2 }, 'the update found nothing and created it');
});

test('it remembers at most maxEntries subjects: the oldest is forgotten', async (t) => {
  const { api, recorder } = setup({ maxEntries: 2 });
  recorder.record(warn('A'));
  recorder.record(warn('B'));
  recorder.record(warn('C'));
  recorder.record(warn('A')); // forgotten: a new event, not a count
  await flushMicrotasks();
  t.is(api.events.size, 4);
});

test('writes in flight are bounded; stop() waits for them and drops pending updates', async (t) => {
  const { clock, api, lines, recorder } = setup({ maxInFlight: 2 });
  let release!: () => void;
  api.hold = new Promise((r) => (release = r));
  recorder.record(warn('A'));
  recorder.record(warn('B'));
  recorder.record(warn('C'));
  await flushMicrotasks();
  t.is(api.calls.length, 2);
  t.true(lines.some((l) => l.includes('event dropped')));
  recorder.record(warn('A'));
  let stopped = false;
  const stopping = recorder.stop().then(() => (stopped = true));
  await flushMicrotasks();
  t.false(stopped);
  release();
  await stopping;
  await clock.advance(60_000);
  t.is(api.calls.length, 2, 'no update after stop');
  t.is(clock.pendingTimers, 0);
  recorder.record(warn('D'));
  await flushMicrotasks();
  t.is(api.calls.length, 2, 'nothing recorded after stop');
});
