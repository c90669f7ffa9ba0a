import test from 'ava';
import type { KubeObject, ReflectorSink } from '@iam4kube/shared';
import { CacheRevision } from '../../src/kube/cache-revision.js';

test('every call into a watched sink moves the revision before the sink sees it, and reaches the sink unchanged', (t) => {
  const revision = new CacheRevision();
  const seen: Array<[string, unknown, number]> = [];
  const sink: ReflectorSink = {
    replace: (objects, rv) => seen.push(['replace', [objects.length, rv], revision.value]),
    apply: (type, object) => seen.push(['apply', [type, object.metadata?.name], revision.value]),
    progress: (rv) => seen.push(['progress', rv, revision.value]),
    connected: (open) => seen.push(['connected', open, revision.value]),
  };
  const watched = revision.watch(sink);
  const pod: KubeObject = { metadata: { name: 'a' } };
  t.is(revision.value, 0);
  watched.replace([pod], '10');
  watched.apply('ADDED', pod);
  watched.apply('DELETED', pod);
  watched.progress?.('12');
  watched.connected?.(false);
  watched.connected?.(true);
  t.deepEqual(seen, [
    ['replace', [1, '10'], 1],
    ['apply', ['ADDED', 'a'], 2],
    ['apply', ['DELETED', 'a'], 3],
    ['progress', '12', 4],
    ['connected', false, 5],
    ['connected', true, 6],
  ]);
});

test('a sink without progress or connected is watched too, and one revision counts the calls into all its sinks', (t) => {
  const revision = new CacheRevision();
  const applied: string[] = [];
  const bare: ReflectorSink = { replace: () => applied.push('replace'), apply: (type) => applied.push(type) };
  const a = revision.watch(bare);
  const b = revision.watch(bare);
  a.progress?.('1');
  a.connected?.(true);
  b.apply('MODIFIED', {});
  b.replace([], '2');
  t.is(revision.value, 4);
  t.deepEqual(applied, ['MODIFIED', 'replace']);
});

test('a sink that throws still leaves the revision moved (a half-applied change is a change)', (t) => {
  const revision = new CacheRevision();
  const watched = revision.watch({
    replace: () => undefined,
    apply: () => {
      throw new Error('bad object');
    },
  });
  t.throws(() => watched.apply('ADDED', {}), { message: 'bad object' });
  t.is(revision.value, 1);
});
