import test from 'ava';
import { parseThreadCounts } from './callgrind.js';
import { perRequest, toRow } from './instructions.js';

// What callgrind_control -e <pid> printed for a Node process under callgrind (valgrind 3.19).
const PRINTED = [
  'PID 13328: node base.mjs',
  '',
  '  Totals:         Ir ',
  '   Th 1  109,165,955 ',
  '   Th 2          140 ',
  '   Th 4    5,330,255 ',
  '   Th10            7 ',
  '',
].join('\n');

test('the threads of callgrind_control -e are summed, the first one named the main thread', (t) => {
  t.deepEqual(parseThreadCounts(PRINTED), { total: 109_165_955 + 140 + 5_330_255 + 7, mainThread: 109_165_955 });
});

test('no counts is undefined, never a zero: an error message, another event first, no thread 1', (t) => {
  t.is(parseThreadCounts("Error: Callgrind task with PID/name '1' not detected."), undefined);
  t.is(parseThreadCounts(PRINTED.replace('Ir ', 'Dr ')), undefined);
  t.is(parseThreadCounts(PRINTED.replace('Th 1 ', 'Th 3 ')), undefined);
  t.is(parseThreadCounts(''), undefined);
});

const load = (requests: number, errors = 0) => ({ tool: 'wrk' as const, requests, rps: requests / 10, p50Ms: 1, p99Ms: 2, maxMs: 3, errors, non2xx: 0 });

test('instructions are per answered request; a round that answered nothing has no figure', (t) => {
  t.deepEqual(perRequest(load(1000, 2), { total: 60_000_000, mainThread: 50_000_000 }), { requests: 1000, failed: 2, perRequest: 60_000, mainThreadPerRequest: 50_000 });
  t.true(Number.isNaN(perRequest(load(0), { total: 5, mainThread: 5 }).perRequest));
});

test('the ratio is the median of the rounds\' baseline / server ratios, not a ratio of medians', (t) => {
  const round = (perRequestCount: number) => ({ requests: 1, failed: 0, perRequest: perRequestCount, mainThreadPerRequest: perRequestCount });
  const row = toRow('keep-alive', { baseline: [round(100), round(200), round(90)], server: [round(100), round(100), round(100)] });
  t.deepEqual(row.roundRatios, [1, 2, 0.9]);
  t.is(row.ratio, 1);
  t.is(row.baseline.perRequest, 100);
  t.is(row.server.perRequest, 100);
});
