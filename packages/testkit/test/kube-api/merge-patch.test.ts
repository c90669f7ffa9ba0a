import test from 'ava';
import { applyMergePatch } from '../../src/kube-api/merge-patch.js';

test('RFC 7386: maps merge, null deletes, lists and scalars replace', (t) => {
  const target = { a: { b: 1, c: 2 }, list: [1, 2], keep: true };
  t.deepEqual(applyMergePatch(target, { a: { b: null, d: 3 }, list: [3], e: 'x' }), {
    a: { c: 2, d: 3 },
    list: [3],
    keep: true,
    e: 'x',
  });
  t.deepEqual(target.a, { b: 1, c: 2 }, 'the original is untouched');
  t.deepEqual(applyMergePatch({ a: 1 }, 'scalar'), 'scalar');
  t.deepEqual(applyMergePatch('scalar', { a: { b: null, c: 1 } }), { a: { c: 1 } });
});
