import test from 'ava';
import type { KubeObject } from '@iam4kube/shared';
import { POD_FIELD_SELECTOR, isTerminalPhase, projectPod, releasePod } from '../../src/kube/pod-record.js';
import { StringInterner } from '../../src/kube/string-interner.js';

const POD: KubeObject = {
  metadata: { uid: 'u-1', name: 'web-1', namespace: 'shop', resourceVersion: '123456', deletionTimestamp: '2026-01-01T00:00:00Z', labels: { a: 'b' } },
  spec: { serviceAccountName: 'web', nodeName: 'node-7', hostNetwork: false, containers: [{ name: 'c' }] },
  status: { phase: 'Running', podIP: '10.1.2.3', podIPs: [{ ip: '10.1.2.3' }, { ip: 'fd00::3' }] },
};

test('a pod projects to the fields the identity engine reads', (t) => {
  const r = projectPod(POD);
  t.deepEqual(
    {
      uid: r.uid,
      namespace: r.namespace,
      name: r.name,
      podIPs: r.podIPs,
      serviceAccountName: r.serviceAccountName,
      nodeName: r.nodeName,
      phase: r.phase,
      hostNetwork: r.hostNetwork,
      terminating: r.terminating,
      resourceVersion: r.resourceVersion,
    },
    {
      uid: 'u-1',
      namespace: 'shop',
      name: 'web-1',
      podIPs: ['10.1.2.3', 'fd00::3'],
      serviceAccountName: 'web',
      nodeName: 'node-7',
      phase: 'Running',
      hostNetwork: false,
      terminating: true,
      resourceVersion: '123456',
    },
  );
  t.true(Object.isFrozen(r));
  t.true(Object.isFrozen(r.podIPs));
});

test('defaults: ServiceAccount "default", phase Pending, no IPs; single-stack; odd versions and phases kept', (t) => {
  const r = projectPod({ metadata: { uid: 'u', name: 'n', namespace: 'ns', resourceVersion: 'opaque-7' }, spec: { hostNetwork: true } });
  t.is(r.serviceAccountName, 'default');
  t.is(r.phase, 'Pending');
  t.deepEqual(r.podIPs, []);
  t.true(r.hostNetwork);
  t.false(r.terminating);
  t.is(r.resourceVersion, 'opaque-7');
  const single = projectPod({ metadata: { uid: 'u' }, status: { phase: 'Weird', podIP: '10.0.0.1' } });
  t.deepEqual(single.podIPs, ['10.0.0.1']);
  t.is(single.phase, 'Unknown');
  for (const phase of ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']) t.is(projectPod({ status: { phase } }).phase, phase);
});

test('names go through the interner and are given back on release', (t) => {
  const strings = new StringInterner();
  const a = projectPod(POD, strings);
  const b = projectPod(POD, strings);
  t.is(strings.size, 3);
  releasePod(a, strings);
  t.is(strings.size, 3);
  releasePod(b, strings);
  t.is(strings.size, 0);
});

test('terminal phases and the field selector that leaves them out', (t) => {
  t.true(isTerminalPhase('Succeeded'));
  t.true(isTerminalPhase('Failed'));
  t.false(isTerminalPhase('Running'));
  t.is(POD_FIELD_SELECTOR, 'status.phase!=Succeeded,status.phase!=Failed');
});

test('--pod-role-annotation: the value is kept (interned, released with the record) only when the key is given', (t) => {
  const strings = new StringInterner();
  const obj = { metadata: { uid: 'u1', name: 'p', namespace: 'ns', annotations: { 'iam.amazonaws.com/role': 'reader' } }, spec: {}, status: { phase: 'Running' } };
  t.is(projectPod(obj, strings).roleAnnotation, undefined);
  const record = projectPod(obj, strings, 'iam.amazonaws.com/role');
  t.is(record.roleAnnotation, 'reader');
  t.true(Object.isFrozen(record));
  t.is(projectPod({ ...obj, metadata: { ...obj.metadata, annotations: {} } }, strings, 'iam.amazonaws.com/role').roleAnnotation, undefined);
  const before = strings.size;
  releasePod(record, strings);
  t.is(strings.size, before - 1); // "reader" was referenced once (the first projection did not keep it)
});
