import test from 'ava';
import type { KubeObject } from '@iam4kube/shared';
import { PodIndex } from '../../src/kube/pod-index.js';

function pod(o: { uid: string; ip?: string; phase?: string; hostNetwork?: boolean; deleting?: boolean; sa?: string }): KubeObject {
  return {
    metadata: { uid: o.uid, name: `pod-${o.uid}`, namespace: 'demo', resourceVersion: '1', ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { serviceAccountName: o.sa ?? 'app', nodeName: 'node-1', hostNetwork: o.hostNetwork ?? false },
    status: { phase: o.phase ?? 'Running', ...(o.ip ? { podIP: o.ip, podIPs: [{ ip: o.ip }] } : {}) },
  };
}

function index(): { idx: PodIndex; changed: string[] } {
  const changed: string[] = [];
  return { idx: new PodIndex({ ipChanged: (ip) => changed.push(ip) }), changed };
}

test('a pod is found by its IP, with its projected record', (t) => {
  const { idx, changed } = index();
  idx.apply('ADDED', pod({ uid: 'a', ip: '10.0.0.1' }));
  const found = idx.lookup('10.0.0.1');
  t.is(found.kind, 'pod');
  t.like(found, { pod: { uid: 'a', namespace: 'demo', serviceAccountName: 'app', podIPs: ['10.0.0.1'], hostNetwork: false } });
  t.deepEqual(changed, ['10.0.0.1']);
  t.is(idx.lookup('10.0.0.2').kind, 'unknown');
});

test('dual-stack pods are indexed by each IP', (t) => {
  const { idx } = index();
  idx.apply('ADDED', { ...pod({ uid: 'a' }), status: { phase: 'Running', podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }] } });
  t.is(idx.lookup('fd00::1').kind, 'pod');
  t.is(idx.lookup('10.0.0.1').kind, 'pod');
});

test('an IP change moves the pod and notifies both IPs; delete removes it', (t) => {
  const { idx, changed } = index();
  idx.apply('ADDED', pod({ uid: 'a', ip: '10.0.0.1' }));
  idx.apply('MODIFIED', pod({ uid: 'a', ip: '10.0.0.9' }));
  t.is(idx.lookup('10.0.0.1').kind, 'unknown');
  t.is(idx.lookup('10.0.0.9').kind, 'pod');
  t.deepEqual(changed, ['10.0.0.1', '10.0.0.1', '10.0.0.9']);
  idx.apply('DELETED', pod({ uid: 'a', ip: '10.0.0.9' }));
  t.is(idx.lookup('10.0.0.9').kind, 'unknown');
  t.is(idx.size, 0);
});

test('two live pods with one IP are ambiguous', (t) => {
  const { idx } = index();
  idx.apply('ADDED', pod({ uid: 'a', ip: '10.0.0.1' }));
  idx.apply('ADDED', pod({ uid: 'b', ip: '10.0.0.1' }));
  const found = idx.lookup('10.0.0.1');
  t.is(found.kind, 'ambiguous');
});

test('a terminating pod keeps its IP until a live pod takes it over', (t) => {
  const { idx } = index();
  idx.apply('ADDED', pod({ uid: 'old', ip: '10.0.0.1', deleting: true }));
  t.like(idx.lookup('10.0.0.1'), { kind: 'pod', pod: { uid: 'old' } });
  idx.apply('ADDED', pod({ uid: 'new', ip: '10.0.0.1' }));
  t.like(idx.lookup('10.0.0.1'), { kind: 'pod', pod: { uid: 'new' } });
});

test('hostNetwork pods and pods in terminal phases are never identified', (t) => {
  const { idx } = index();
  idx.apply('ADDED', pod({ uid: 'h', ip: '192.168.1.10', hostNetwork: true }));
  t.is(idx.lookup('192.168.1.10').kind, 'host-network');
  idx.apply('ADDED', pod({ uid: 'done', ip: '10.0.0.3', phase: 'Succeeded' }));
  t.is(idx.lookup('10.0.0.3').kind, 'unknown');
});

test('replace() drops what the new list no longer has', (t) => {
  const { idx } = index();
  idx.apply('ADDED', pod({ uid: 'a', ip: '10.0.0.1' }));
  idx.replace([pod({ uid: 'b', ip: '10.0.0.2' })]);
  t.is(idx.lookup('10.0.0.1').kind, 'unknown');
  t.is(idx.lookup('10.0.0.2').kind, 'pod');
  t.is(idx.size, 1);
});

function watched(): { idx: PodIndex; ambiguous: Array<[string, string[]]>; hostNetwork: Array<[string | undefined, string | undefined]> } {
  const ambiguous: Array<[string, string[]]> = [];
  const hostNetwork: Array<[string | undefined, string | undefined]> = [];
  const idx = new PodIndex({
    ipChanged: () => {},
    ambiguousIp: (ip, pods) => ambiguous.push([ip, pods.map((p) => p.uid)]),
    hostNetworkPodChanged: (record, previous) => hostNetwork.push([record?.uid, previous?.uid]),
  });
  return { idx, ambiguous, hostNetwork };
}

test('ambiguity is reported when it arises and when another live pod joins, not on every update', (t) => {
  const { idx, ambiguous } = watched();
  idx.apply('ADDED', pod({ uid: 'a', ip: '10.0.0.1' }));
  t.deepEqual(ambiguous, []);
  idx.apply('ADDED', pod({ uid: 'b', ip: '10.0.0.1' }));
  t.deepEqual(ambiguous, [['10.0.0.1', ['a', 'b']]]);
  idx.apply('MODIFIED', pod({ uid: 'a', ip: '10.0.0.1' }));
  idx.apply('MODIFIED', pod({ uid: 'b', ip: '10.0.0.1' }));
  idx.replace([pod({ uid: 'a', ip: '10.0.0.1' }), pod({ uid: 'b', ip: '10.0.0.1' })]);
  t.is(ambiguous.length, 1, 'unchanged ambiguity is not reported again (updates, relists)');
  idx.apply('ADDED', pod({ uid: 'c', ip: '10.0.0.1' }));
  t.deepEqual(ambiguous[1], ['10.0.0.1', ['a', 'b', 'c']]);
  idx.apply('DELETED', pod({ uid: 'c', ip: '10.0.0.1' }));
  idx.apply('DELETED', pod({ uid: 'b', ip: '10.0.0.1' }));
  t.like(idx.lookup('10.0.0.1'), { kind: 'pod', pod: { uid: 'a' } });
  t.is(ambiguous.length, 2);
});

test('a terminating pod next to a live one is not ambiguous; two terminating pods are', (t) => {
  const { idx, ambiguous } = watched();
  idx.apply('ADDED', pod({ uid: 'old', ip: '10.0.0.1', deleting: true }));
  idx.apply('ADDED', pod({ uid: 'new', ip: '10.0.0.1' }));
  t.deepEqual(ambiguous, []);
  idx.apply('MODIFIED', pod({ uid: 'new', ip: '10.0.0.1', deleting: true }));
  t.is(idx.lookup('10.0.0.1').kind, 'ambiguous');
  t.deepEqual(ambiguous, [['10.0.0.1', ['old', 'new']]]);
});

test('IP reuse: the new pod wins while the old one terminates, and keeps the IP when the old one goes', (t) => {
  const { idx } = index();
  idx.apply('ADDED', pod({ uid: 'old', ip: '10.0.0.1' }));
  idx.apply('MODIFIED', pod({ uid: 'old', ip: '10.0.0.1', deleting: true }));
  t.like(idx.lookup('10.0.0.1'), { kind: 'pod', pod: { uid: 'old', terminating: true } });
  idx.apply('ADDED', pod({ uid: 'new', ip: '10.0.0.1' }));
  t.like(idx.lookup('10.0.0.1'), { kind: 'pod', pod: { uid: 'new' } });
  idx.apply('DELETED', pod({ uid: 'old', ip: '10.0.0.1', deleting: true }));
  t.like(idx.lookup('10.0.0.1'), { kind: 'pod', pod: { uid: 'new' } });
  t.is(idx.size, 1);
});

test('a pod that reaches a terminal phase leaves the index and its IP at once', (t) => {
  const { idx, changed } = index();
  idx.apply('ADDED', pod({ uid: 'job', ip: '10.0.0.4' }));
  idx.apply('MODIFIED', pod({ uid: 'job', ip: '10.0.0.4', phase: 'Failed' }));
  t.is(idx.lookup('10.0.0.4').kind, 'unknown');
  t.is(idx.size, 0);
  t.deepEqual(changed, ['10.0.0.4', '10.0.0.4']);
});

test('a hostNetwork pod shares its IP with other hostNetwork pods and never shadows a live pod', (t) => {
  const { idx, hostNetwork, ambiguous } = watched();
  idx.apply('ADDED', pod({ uid: 'h1', ip: '192.168.1.10', hostNetwork: true }));
  idx.apply('ADDED', pod({ uid: 'h2', ip: '192.168.1.10', hostNetwork: true }));
  t.is(idx.lookup('192.168.1.10').kind, 'host-network');
  t.deepEqual(ambiguous, [], 'hostNetwork pods sharing the node IP are not ambiguous');
  t.deepEqual(hostNetwork, [
    ['h1', undefined],
    ['h2', undefined],
  ]);
  idx.apply('DELETED', pod({ uid: 'h1', ip: '192.168.1.10', hostNetwork: true }));
  t.deepEqual(hostNetwork[2], [undefined, 'h1']);
  idx.apply('ADDED', pod({ uid: 'p', ip: '192.168.1.10' }));
  t.like(idx.lookup('192.168.1.10'), { kind: 'pod', pod: { uid: 'p' } });
});

test('a pod without an IP yet is kept by uid and found once its IP is reported', (t) => {
  const { idx, changed } = index();
  idx.apply('ADDED', pod({ uid: 'a', phase: 'Pending' }));
  t.is(idx.size, 1);
  t.deepEqual(changed, []);
  idx.apply('MODIFIED', pod({ uid: 'a', ip: '10.0.0.7' }));
  t.deepEqual(changed, ['10.0.0.7']);
  t.like(idx.lookup('10.0.0.7'), { kind: 'pod', pod: { uid: 'a', phase: 'Running' } });
  t.is(idx.get('a')?.name, 'pod-a');
});
