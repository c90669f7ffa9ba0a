import test from 'ava';
import type { KubeObject } from '@iam4kube/shared';
import { NamespaceIndex, type NamespaceRecord } from '../../src/kube/namespace-index.js';

const ROLE = 'arn:aws:iam::123456789012:role/';

function ns(name: string, rv: string, annotations: Record<string, string> = {}): KubeObject {
  return { metadata: { name, uid: `uid-${name}`, resourceVersion: rv, annotations } };
}

function index() {
  const changes: Array<[string, NamespaceRecord | undefined, NamespaceRecord | undefined]> = [];
  const namespaces = new NamespaceIndex({ baseRoleArn: ROLE, listener: { namespaceChanged: (name, record, previous) => changes.push([name, record, previous]) } });
  return { namespaces, changes };
}

test('policies are parsed per revision; decisions follow changes and deletion; unknown namespaces are undefined', (t) => {
  const { namespaces, changes } = index();
  t.is(namespaces.decide('a', `${ROLE}x`), undefined);
  namespaces.replace([ns('a', '1', { 'iam.amazonaws.com/allowed-roles': '["x"]' }), ns('b', '1')]);
  t.deepEqual(namespaces.decide('a', `${ROLE}x`), { permitted: true, annotation: 'iam.amazonaws.com/allowed-roles' });
  t.like(namespaces.decide('b', `${ROLE}x`), { permitted: false });
  namespaces.apply('MODIFIED', ns('a', '2', { 'iam.amazonaws.com/permitted': '.*/y' }));
  t.like(namespaces.decide('a', `${ROLE}x`), { permitted: false });
  t.like(namespaces.decide('a', `${ROLE}y`), { permitted: true });
  namespaces.apply('DELETED', ns('a', '3'));
  t.is(namespaces.decide('a', `${ROLE}y`), undefined);
  t.deepEqual(changes.map(([name, record, previous]) => [name, record?.resourceVersion, previous?.resourceVersion]), [
    ['a', '1', undefined],
    ['b', '1', undefined],
    ['a', '2', '1'],
    ['a', undefined, '2'],
  ]);
});

test('a relist with unchanged revisions keeps the records and reports nothing; a relist without one reports its deletion', (t) => {
  const { namespaces, changes } = index();
  namespaces.replace([ns('a', '1'), ns('b', '1')]);
  const before = namespaces.get('a');
  changes.length = 0;
  namespaces.replace([ns('a', '1')]);
  t.is(namespaces.get('a'), before);
  t.deepEqual(changes.map(([name, record]) => [name, record === undefined]), [['b', true]]);
});

test('a malformed policy is kept as such (and permits nothing), never thrown', (t) => {
  const { namespaces } = index();
  namespaces.apply('ADDED', ns('a', '1', { 'iam.amazonaws.com/allowed-roles': '{not json' }));
  t.is(namespaces.get('a')?.policy.kind, 'malformed');
  t.like(namespaces.decide('a', `${ROLE}x`), { permitted: false });
});
