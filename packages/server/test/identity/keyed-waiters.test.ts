import test from 'ava';
import { KeyedWaiters } from '../../src/identity/keyed-waiters.js';

test('notify releases every waiter on the key and only them', async (t) => {
  const w = new KeyedWaiters();
  const signal = new AbortController().signal;
  let released = 0;
  const a = w.wait('k', signal).then(() => released++);
  const b = w.wait('k', signal).then(() => released++);
  let other = false;
  void w.wait('other', signal).then(() => (other = true));
  t.is(w.keys, 2);
  t.is(w.waiters, 3);
  w.notify('k');
  await Promise.all([a, b]);
  t.is(released, 2);
  t.false(other);
  t.is(w.keys, 1);
});

test('abort rejects with the reason and leaves nothing behind, even after 10,000 aborted waits', async (t) => {
  const w = new KeyedWaiters();
  const waits: Array<Promise<unknown>> = [];
  for (let i = 0; i < 10_000; i++) {
    const c = new AbortController();
    waits.push(w.wait(`ip:${i % 7}`, c.signal).catch((e: unknown) => e));
    c.abort(new Error('gone'));
  }
  const reasons = await Promise.all(waits);
  t.true(reasons.every((r) => (r as Error).message === 'gone'));
  t.is(w.keys, 0);
  t.is(w.waiters, 0);
});

test('an already aborted signal rejects at once', async (t) => {
  const w = new KeyedWaiters();
  const c = new AbortController();
  c.abort(new Error('late'));
  await t.throwsAsync(w.wait('k', c.signal), { message: 'late' });
  t.is(w.keys, 0);
});

test('a wait on several keys is released by any of them and leaves all of them', async (t) => {
  const w = new KeyedWaiters();
  const signal = new AbortController().signal;
  const waiting = w.wait(['sa:demo/app', 'sa-progress'], signal);
  t.is(w.keys, 2);
  w.notify('sa-progress');
  await waiting;
  t.is(w.keys, 0);
  t.is(w.waiters, 0);
});

test('10,000 aborted waits on several keys leave nothing behind', async (t) => {
  const w = new KeyedWaiters();
  const waits: Array<Promise<unknown>> = [];
  for (let i = 0; i < 10_000; i++) {
    const c = new AbortController();
    waits.push(w.wait([`sa:${i % 5}`, 'sa-progress'], c.signal).catch((e: unknown) => e));
    c.abort(new Error('deadline'));
  }
  await Promise.all(waits);
  t.is(w.keys, 0);
  t.is(w.waiters, 0);
});

test('a waiter released once is not released again, and its abort after release is harmless', async (t) => {
  const w = new KeyedWaiters();
  const c = new AbortController();
  const waiting = w.wait('k', c.signal);
  w.notify('k');
  await waiting;
  c.abort(new Error('late'));
  w.notify('k');
  t.is(w.keys, 0);
});
