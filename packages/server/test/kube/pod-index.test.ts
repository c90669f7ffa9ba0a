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
