import { createHook } from 'node:async_hooks';

/**
 * Keeps one of `process.nextTick`'s tick objects alive for as long as the process runs, so that V8 never lets go of
 * the object shapes its tick objects are built through.
 *
 * Why: Node 20's nextTick builds each tick object with an object literal whose first keys are computed (two symbols).
 * V8 defines those keys through a feedback slot each; the slot remembers the shape (map) it saw, and it turns
 * megamorphic for good the first time it sees another one. The intermediate shapes of that literal are held by no
 * object (every tick object has the final shape), so when the queue is empty at a full garbage collection V8 may free
 * them (after keeping them for a few collections) and build new ones at the next nextTick: the slots turn megamorphic,
 * and from then on every nextTick defines its object's keys in the runtime, about 300 ns a call instead of 60-80
 * (docs/performance.md, Where the time goes, session 15). The server's start (its caches filling, several full
 * collections) did this in two of three processes measured, and an answer takes about five nextTicks (Node's
 * streams and http). One live tick object holds its whole chain of shapes (each shape points back to its parent),
 * so they are never freed and the slots stay monomorphic. test/tick-object-shape.test.ts shows both.
 *
 * How: an async hook's `init` sees the tick object of one `process.nextTick` call, synchronously; the hook is
 * disabled again at once. The tick itself runs (it does nothing) like any other.
 */
let kept: object | undefined;

/** Takes and keeps one tick object; idempotent. Returns it (for tests). */
export function keepTickObjectShape(): object | undefined {
  if (kept !== undefined) return kept;
  const hook = createHook({
    init(_asyncId, type, _triggerAsyncId, resource) {
      if (type === 'TickObject' && kept === undefined) kept = resource;
    },
  });
  hook.enable();
  try {
    process.nextTick(() => {});
  } finally {
    hook.disable();
  }
  return kept;
}
