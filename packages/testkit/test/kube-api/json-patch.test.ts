import test from 'ava';
import { applyJsonPatch, PatchError } from '../../src/kube-api/json-patch.js';

const doc = { metadata: { labels: { a: '1' }, 'x/y': 1 }, list: [1, 2, 3] };

test('add, remove, replace, move, copy, test', (t) => {
  const out = applyJsonPatch(doc, [
    { op: 'add', path: '/metadata/labels/b', value: '2' },
    { op: 'remove', path: '/metadata/labels/a' },
    { op: 'replace', path: '/list/0', value: 9 },
    { op: 'add', path: '/list/-', value: 4 },
    { op: 'add', path: '/list/1', value: 7 },
    { op: 'copy', from: '/metadata/labels', path: '/copied' },
    { op: 'move', from: '/metadata/x~1y', path: '/moved' },
    { op: 'test', path: '/moved', value: 1 },
  ]);
  t.deepEqual(out, { metadata: { labels: { b: '2' } }, list: [9, 7, 2, 3, 4], copied: { b: '2' }, moved: 1 });
  t.deepEqual(doc.list, [1, 2, 3], 'the original is untouched');
});

test('fails on a failed test, a missing path or a bad operation', (t) => {
  t.throws(() => applyJsonPatch(doc, [{ op: 'test', path: '/list/0', value: 5 }]), { instanceOf: PatchError });
  t.throws(() => applyJsonPatch(doc, [{ op: 'remove', path: '/nope' }]), { instanceOf: PatchError });
  t.throws(() => applyJsonPatch(doc, [{ op: 'replace', path: '/a/b', value: 1 }]), { instanceOf: PatchError });
  t.throws(() => applyJsonPatch(doc, [{ op: 'add', path: '/list/9', value: 1 }]), { instanceOf: PatchError });
  t.throws(() => applyJsonPatch(doc, [{ op: 'frobnicate', path: '/list' }]), { instanceOf: PatchError });
  t.throws(() => applyJsonPatch(doc, { op: 'add' }), { instanceOf: PatchError });
});
