import test from 'ava';
import { ManualClock } from '../src/manual-clock.js';
import { sharedTimerClock } from '../src/shared-timer-clock.js';
import type { Timer } from '../src/clock.js';

test('many timers, one timer underneath; they fire in deadline order, ties in the order they were set', async (t) => {
  const manual = new ManualClock(0);
  const clock = sharedTimerClock(manual);
  const fired: string[] = [];
  for (const [name, ms] of [['c', 300], ['a', 100], ['b1', 200], ['b2', 200], ['d', 1000]] as const) clock.setTimeout(() => fired.push(`${name}@${clock.now()}`), ms);
  t.is(manual.pendingTimers, 1);
  await manual.advance(250);
  t.deepEqual(fired, ['a@100', 'b1@200', 'b2@200']);
  await manual.advance(10_000);
  t.deepEqual(fired, ['a@100', 'b1@200', 'b2@200', 'c@300', 'd@1000']);
  t.is(manual.pendingTimers, 0, 'nothing left armed');
});

test('a timer earlier than the armed one fires on time', async (t) => {
  const manual = new ManualClock(0);
  const clock = sharedTimerClock(manual);
  const fired: number[] = [];
  clock.setTimeout(() => fired.push(clock.now()), 5000);
  clock.setTimeout(() => fired.push(clock.now()), 10);
  await manual.advance(6000);
  t.deepEqual(fired, [10, 5000]);
});

test('cancelled timers never fire; cancelling twice or after firing is harmless; nothing stays armed for nothing', async (t) => {
  const manual = new ManualClock(0);
  const clock = sharedTimerClock(manual);
  const fired: string[] = [];
  const a = clock.setTimeout(() => fired.push('a'), 100);
  const b = clock.setTimeout(() => fired.push('b'), 200);
  clock.setTimeout(() => fired.push('c'), 300);
  a.cancel();
  a.cancel();
  await manual.advance(250);
  t.deepEqual(fired, ['b']);
  b.cancel();
  await manual.advance(100);
  t.deepEqual(fired, ['b', 'c']);
  const d = clock.setTimeout(() => fired.push('d'), 100);
  d.cancel();
  t.is(manual.pendingTimers, 0);
});

test('a timer set while others fire, even with no delay, fires after them, in a later turn', async (t) => {
  const manual = new ManualClock(0);
  const clock = sharedTimerClock(manual);
  const fired: string[] = [];
  clock.setTimeout(() => {
    fired.push('a');
    clock.setTimeout(() => fired.push('zero'), 0);
  }, 100);
  clock.setTimeout(() => fired.push('b'), 100);
  await manual.advance(100);
  t.deepEqual(fired, ['a', 'b', 'zero']);
});

test('a timer that throws: the exception comes out, the others still fire', async (t) => {
  const manual = new ManualClock(0);
  const clock = sharedTimerClock(manual);
  const fired: string[] = [];
  clock.setTimeout(() => {
    throw new Error('boom');
  }, 100);
  clock.setTimeout(() => fired.push('later'), 200);
  await t.throwsAsync(manual.advance(150), { message: 'boom' });
  await manual.advance(100);
  t.deepEqual(fired, ['later']);
});

test('random schedules and cancellations: the same firings, at the same times, as the clock underneath alone', async (t) => {
  let seed = 42;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let round = 0; round < 20; round++) {
    const direct = new ManualClock(0);
    const underneath = new ManualClock(0);
    const shared = sharedTimerClock(underneath);
    const seen: Record<'direct' | 'shared', string[]> = { direct: [], shared: [] };
    const timers: Record<'direct' | 'shared', Timer[]> = { direct: [], shared: [] };
    const plan = Array.from({ length: 200 }, (_, i) => ({ i, ms: Math.floor(random() * 1000), cancelAt: random() < 0.3 ? Math.floor(random() * 1000) : undefined, chain: random() < 0.2 ? Math.floor(random() * 50) : undefined }));
    for (const [name, clock] of [['direct', direct], ['shared', shared]] as const) {
      for (const p of plan) {
        timers[name].push(
          clock.setTimeout(() => {
            seen[name].push(`${p.i}@${clock.now()}`);
            if (p.chain !== undefined) clock.setTimeout(() => seen[name].push(`${p.i}+@${clock.now()}`), p.chain);
          }, p.ms),
        );
      }
    }
    for (const step of [100, 250, 1, 300, 49, 400]) {
      for (const p of plan) if (p.cancelAt !== undefined && p.cancelAt < direct.now() + step && p.cancelAt >= direct.now()) {
        timers.direct[p.i]!.cancel();
        timers.shared[p.i]!.cancel();
      }
      await direct.advance(step);
      await underneath.advance(step);
    }
    t.deepEqual(seen.shared, seen.direct, `round ${round}`);
    t.true(seen.direct.length > 100);
  }
});

test('deadlines are on the clock underneath: when it was stepped back, a timer whose turn came early waits again', (t) => {
  // An underlying clock whose time and timers are driven separately, as a wall clock stepped under a monotonic timer.
  let wall = 10_000;
  const armed: Array<{ fn: () => void; ms: number; cancelled: boolean }> = [];
  const under = {
    now: () => wall,
    setTimeout(fn: () => void, ms: number): Timer {
      const entry = { fn, ms, cancelled: false };
      armed.push(entry);
      return { cancel: () => void (entry.cancelled = true) };
    },
  };
  const clock = sharedTimerClock(under);
  const fired: number[] = [];
  clock.setTimeout(() => fired.push(wall), 1000);
  t.is(armed.length, 1);
  t.is(armed[0]!.ms, 1000);
  // The timer underneath fires after its 1 s, but the wall clock was stepped back 400 ms meanwhile.
  wall += 1000 - 400;
  armed[0]!.fn();
  t.deepEqual(fired, [], 'not due on the clock it was set on');
  t.is(armed.length, 2);
  t.is(armed[1]!.ms, 400, 'armed again for what is left');
  wall += 400;
  armed[1]!.fn();
  t.deepEqual(fired, [11_000]);
});
