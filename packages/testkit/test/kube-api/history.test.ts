import test from 'ava';
import type { StoreEvent } from '../../src/kube-api/history.js';
import { EventHistory } from '../../src/kube-api/history.js';
import { builtinResources } from '../../src/kube-api/resources.js';

const pods = builtinResources().find((r) => r.plural === 'pods')!;
const event = (rv: number): StoreEvent => ({ rv, type: 'ADDED', resource: pods, object: { metadata: { name: `p${rv}` } } });

test('returns every event after a revision, in order', (t) => {
  const history = new EventHistory(10);
  for (let rv = 1; rv <= 5; rv++) history.append(event(rv));
  t.deepEqual(history.since(2)?.map((e) => e.rv), [3, 4, 5]);
  t.deepEqual(history.since(0)?.map((e) => e.rv), [1, 2, 3, 4, 5]);
  t.deepEqual(history.since(5), []);
});

test('a revision older than the window is too old', (t) => {
  const history = new EventHistory(3);
  for (let rv = 1; rv <= 6; rv++) history.append(event(rv));
  t.is(history.size, 3);
  t.is(history.floor, 3);
  t.deepEqual(history.since(3)?.map((e) => e.rv), [4, 5, 6]);
  t.is(history.since(2), undefined);
});

test('compact forgets everything before the current revision', (t) => {
  const history = new EventHistory(100);
  for (let rv = 1; rv <= 4; rv++) history.append(event(rv));
  history.compact(4);
  t.is(history.since(3), undefined);
  t.deepEqual(history.since(4), []);
  history.append(event(5));
  t.deepEqual(history.since(4)?.map((e) => e.rv), [5]);
});

test('stays correct across many appends (prefix trimming)', (t) => {
  const history = new EventHistory(50);
  for (let rv = 1; rv <= 5000; rv++) history.append(event(rv));
  t.is(history.floor, 4950);
  t.deepEqual(history.since(4997)?.map((e) => e.rv), [4998, 4999, 5000]);
  t.is(history.since(4949), undefined);
});
