import test from 'ava';
import { PatchError } from '../../src/kube-api/json-patch.js';
import { applyStrategicMergePatch } from '../../src/kube-api/strategic-merge-patch.js';

const pod = {
  metadata: { name: 'app', labels: { app: 'web', tier: 'fe' }, annotations: { a: '1' }, finalizers: ['x'] },
  spec: {
    containers: [
      { name: 'app', image: 'app:1', ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }] },
      { name: 'sidecar', image: 'side:1' },
    ],
    tolerations: [{ key: 'a' }],
  },
};

test('maps merge and null deletes, metadata included', (t) => {
  const out = applyStrategicMergePatch(pod, { metadata: { labels: { tier: null, new: 'y' }, annotations: { b: '2' } } });
  t.deepEqual((out as typeof pod).metadata.labels, { app: 'web', new: 'y' } as never);
  t.deepEqual((out as typeof pod).metadata.annotations, { a: '1', b: '2' } as never);
  t.deepEqual(pod.metadata.labels, { app: 'web', tier: 'fe' }, 'the original is untouched');
});

test('containers merge by name, their ports by containerPort and env by name', (t) => {
  const out = applyStrategicMergePatch(pod, {
    spec: {
      containers: [
        { name: 'app', image: 'app:2', ports: [{ containerPort: 8080 }], env: [{ name: 'A', value: '2' }] },
        { name: 'new', image: 'new:1' },
      ],
    },
  }) as typeof pod;
  t.deepEqual(
    out.spec.containers.map((c) => [c.name, c.image]),
    [
      ['app', 'app:2'],
      ['sidecar', 'side:1'],
      ['new', 'new:1'],
    ],
  );
  t.deepEqual(out.spec.containers[0]!.ports, [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 8080 }]);
  t.deepEqual(out.spec.containers[0]!.env, [{ name: 'A', value: '2' }]);
});

test('lists without a merge key are replaced', (t) => {
  const out = applyStrategicMergePatch(pod, { spec: { tolerations: [{ key: 'b' }] } }) as typeof pod;
  t.deepEqual(out.spec.tolerations, [{ key: 'b' }]);
});

test('$patch directives: delete an element, replace a list, replace or delete a map', (t) => {
  const deleted = applyStrategicMergePatch(pod, { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } }) as typeof pod;
  t.deepEqual(deleted.spec.containers.map((c) => c.name), ['app']);

  const replacedList = applyStrategicMergePatch(pod, { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } }) as typeof pod;
  t.deepEqual(replacedList.spec.containers, [{ name: 'only', image: 'x' }] as never);

  const replacedMap = applyStrategicMergePatch(pod, { metadata: { labels: { $patch: 'replace', fresh: '1' } } }) as typeof pod;
  t.deepEqual(replacedMap.metadata.labels, { fresh: '1' } as never);

  const deletedMap = applyStrategicMergePatch(pod, { metadata: { annotations: { $patch: 'delete' } } }) as typeof pod;
  t.false('annotations' in deletedMap.metadata);
});

test('finalizers merge as a set; $deleteFromPrimitiveList removes', (t) => {
  const added = applyStrategicMergePatch(pod, { metadata: { finalizers: ['x', 'y'] } }) as typeof pod;
  t.deepEqual(added.metadata.finalizers, ['x', 'y']);
  const removed = applyStrategicMergePatch(added, { metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] } }) as typeof pod;
  t.deepEqual(removed.metadata.finalizers, ['y']);
});

test('$setElementOrder reorders and $retainKeys drops other keys', (t) => {
  const ordered = applyStrategicMergePatch(pod, {
    spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }], containers: [{ name: 'app', image: 'app:3' }] },
  }) as typeof pod;
  t.deepEqual(ordered.spec.containers.map((c) => `${c.name}:${c.image}`), ['sidecar:side:1', 'app:app:3']);

  const retained = applyStrategicMergePatch(
    { spec: { strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } } },
    { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
  );
  t.deepEqual(retained, { spec: { strategy: { type: 'Recreate' } } });
});

test('status lists merge by their keys (podIPs by ip, conditions by type)', (t) => {
  const out = applyStrategicMergePatch(
    { status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'Scheduled', status: 'True' }] } },
    { status: { conditions: [{ type: 'Ready', status: 'True' }], podIPs: [{ ip: '10.0.0.5' }] } },
  );
  t.deepEqual(out, {
    status: {
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'Scheduled', status: 'True' },
      ],
      podIPs: [{ ip: '10.0.0.5' }],
    },
  });
});

test('rejects a patch that is not an object, or an unknown directive', (t) => {
  t.throws(() => applyStrategicMergePatch(pod, [1]), { instanceOf: PatchError });
  t.throws(() => applyStrategicMergePatch(pod, { metadata: { $patch: 'explode' } }), { instanceOf: PatchError });
});
