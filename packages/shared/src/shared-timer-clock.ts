import type { Clock, Timer } from './clock.js';

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  /** Position in the heap; -1 once fired or cancelled. */
  index: number;
}

/**
 * A Clock whose timers all ride on one timer of the clock underneath: a min-heap of deadlines, with only the earliest
 * armed. For code that keeps many long timers with distinct delays (a refresh per credentials entry). Node keeps one
 * list per distinct delay in a priority queue, and every keep-alive socket's idle timeout is taken out of and put
 * back into that queue around each request: a thousand distinct delays make every request dearer.
 *
 * Timers fire in deadline order, those due together in the order they were set; a timer set while others fire
 * (even with no delay) fires in a later turn, as with Node's own timers. An exception from a timer is thrown, as
 * from a Node timer, after the remaining timers are armed again.
 *
 * Deadlines are kept on the clock's own time (the wall clock for systemClock), and a timer is due when the clock
 * says so: if the wall clock is stepped, deadlines move with it (a timer the step made early waits again). For
 * refreshes anchored to an expiry STS gave in wall time, that is the right reference.
 */
export function sharedTimerClock(clock: Clock): Clock {
  const heap: Pending[] = [];
  let seq = 0;
  let armed: { readonly at: number; readonly timer: Timer } | undefined;

  const less = (a: Pending, b: Pending): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);
  const place = (p: Pending, i: number): void => {
    heap[i] = p;
    p.index = i;
  };
  const up = (i: number): void => {
    const p = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(p, heap[parent]!)) break;
      place(heap[parent]!, i);
      i = parent;
    }
    place(p, i);
  };
  const down = (i: number): void => {
    const p = heap[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && less(heap[right]!, heap[left]!) ? right : left;
      if (!less(heap[child]!, p)) break;
      place(heap[child]!, i);
      i = child;
    }
    place(p, i);
  };
  const remove = (p: Pending): void => {
    const i = p.index;
    p.index = -1;
    const last = heap.pop()!;
    if (last === p) return;
    place(last, i);
    down(i);
    up(last.index);
  };

  const arm = (): void => {
    const next = heap[0];
    if (!next) {
      armed?.timer.cancel();
      armed = undefined;
      return;
    }
    // An earlier timer underneath is left to fire: it finds nothing due and arms the next one.
    if (armed && armed.at <= next.at) return;
    armed?.timer.cancel();
    armed = { at: next.at, timer: clock.setTimeout(fire, next.at - clock.now()) };
  };

  function fire(): void {
    armed = undefined;
    const now = clock.now();
    const setBefore = seq;
    try {
      while (heap.length > 0 && heap[0]!.at <= now && heap[0]!.seq < setBefore) {
        const p = heap[0]!;
        remove(p);
        p.fn();
      }
    } finally {
      arm();
    }
  }

  return {
    now: () => clock.now(),
    setTimeout(fn, ms) {
      const p: Pending = { at: clock.now() + Math.max(0, ms), seq: seq++, fn, index: heap.length };
      heap.push(p);
      up(p.index);
      arm();
      return {
        cancel: () => {
          if (p.index < 0) return;
          remove(p);
          if (heap.length === 0) arm();
        },
      };
    },
  };
}
