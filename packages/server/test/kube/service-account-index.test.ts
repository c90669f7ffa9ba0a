import test from 'ava';
import type { KubeObject } from '@iam4kube/shared';
import { ServiceAccountIndex, type ServiceAccountRecord } from '../../src/kube/service-account-index.js';

function sa(name: string, rv: string, annotations?: Record<string, string>, namespace = 'demo'): KubeObject {
  // As PartialObjectMetadata: metadata only.
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name, namespace, uid: `uid-${name}`, resourceVersion: rv, ...(annotations ? { annotations } : {}) } };
}

test('keeps identity, version and the parsed binding; reports changes with the previous record', (t) => {
  const changes: Array<[string, ServiceAccountRecord | undefined, ServiceAccountRecord | undefined]> = [];
  const idx = new ServiceAccountIndex({ serviceAccountChanged: (key, record, previous) => changes.push([key, record, previous]) });
  idx.apply('ADDED', sa('app', '5'));
  idx.apply('MODIFIED', sa('app', '6', { 'iam.amazonaws.com/roleArn': 'arn:aws:iam::123456789012:role/r' }));
  const record = idx.get('demo', 'app')!;
  t.like(record, { namespace: 'demo', name: 'app', uid: 'uid-app', resourceVersion: '6', binding: { kind: 'role', roleName: 'r', sessionName: 'demo@app' } });
  t.false('annotations' in record);
  t.is(changes.length, 2);
  t.is(changes[1]![2]?.binding.kind, 'none');
  idx.apply('DELETED', sa('app', '7'));
  t.is(idx.get('demo', 'app'), undefined);
  t.is(changes[2]![1], undefined);
  t.is(changes[2]![2]?.resourceVersion, '6');
});

test('progress is passed on to the listener', (t) => {
  const seen: string[] = [];
  const idx = new ServiceAccountIndex({ serviceAccountChanged: () => {}, progress: (rv) => seen.push(rv) });
  idx.progress('10');
  idx.progress('12');
  t.deepEqual(seen, ['10', '12']);
});

test('replace() drops what the new list no longer has', (t) => {
  const gone: string[] = [];
  const idx = new ServiceAccountIndex({ serviceAccountChanged: (key, record) => record ?? gone.push(key) });
  idx.replace([sa('a', '1'), sa('b', '2')]);
  idx.replace([sa('b', '3')]);
  t.deepEqual(gone, ['demo/a']);
  t.is(idx.size, 1);
});

test('get() finds each record by namespace and name, through additions, deletions and relists', (t) => {
  const idx = new ServiceAccountIndex({ serviceAccountChanged: () => {} });
  idx.replace([sa('app', '1', undefined, 'one'), sa('app', '2', undefined, 'two'), sa('other', '3', undefined, 'two')]);
  t.is(idx.get('one', 'app')?.resourceVersion, '1');
  t.is(idx.get('two', 'app')?.resourceVersion, '2');
  t.is(idx.get('one', 'other'), undefined);
  idx.apply('DELETED', sa('app', '4', undefined, 'two'));
  t.is(idx.get('two', 'app'), undefined);
  t.is(idx.get('two', 'other')?.resourceVersion, '3');
  t.is(idx.get('one', 'app')?.resourceVersion, '1');
  idx.apply('DELETED', sa('app', '5', undefined, 'one'));
  t.is(idx.get('one', 'app'), undefined);
  idx.apply('ADDED', sa('app', '6', undefined, 'one'));
  t.is(idx.get('one', 'app')?.resourceVersion, '6');
  idx.replace([sa('new', '7', undefined, 'three')]);
  t.is(idx.get('one', 'app'), undefined);
  t.is(idx.get('two', 'other'), undefined);
  t.is(idx.get('three', 'new')?.resourceVersion, '7');
  t.is(idx.size, 1);
});
