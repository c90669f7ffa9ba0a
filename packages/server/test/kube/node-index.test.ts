import test from 'ava';
import type { KubeObject } from '@iam4kube/shared';
import { NodeIndex, REGION_LABEL, ZONE_LABEL } from '../../src/kube/node-index.js';

function node(name: string, labels: Record<string, string>): KubeObject {
  return { metadata: { name, uid: `uid-${name}`, resourceVersion: '1', labels } };
}

test('zone and region come from the topology labels; unknown nodes are undefined', (t) => {
  const changed: string[] = [];
  const nodes = new NodeIndex({ nodeChanged: (n) => changed.push(n) });
  nodes.apply('ADDED', node('n1', { [ZONE_LABEL]: 'eu-west-1a', [REGION_LABEL]: 'eu-west-1', other: 'x' }));
  nodes.apply('ADDED', node('n2', {}));
  t.deepEqual(nodes.get('n1'), { zone: 'eu-west-1a', region: 'eu-west-1' });
  t.deepEqual(nodes.get('n2'), {}, 'a node without labels is known, with no placement');
  t.is(nodes.get('n3'), undefined);
  t.deepEqual(changed, ['n1', 'n2']);
});

test('the legacy failure-domain labels are read when the topology ones are absent', (t) => {
  const nodes = new NodeIndex();
  nodes.apply('ADDED', node('old', { 'failure-domain.beta.kubernetes.io/zone': 'us-east-1b', 'failure-domain.beta.kubernetes.io/region': 'us-east-1' }));
  t.deepEqual(nodes.get('old'), { zone: 'us-east-1b', region: 'us-east-1' });
  nodes.apply('MODIFIED', node('old', { [ZONE_LABEL]: 'us-east-1c', 'failure-domain.beta.kubernetes.io/zone': 'us-east-1b' }));
  t.deepEqual(nodes.get('old'), { zone: 'us-east-1c' });
});

test('updates that keep the placement notify nothing; delete and relist drop nodes', (t) => {
  const changed: string[] = [];
  const nodes = new NodeIndex({ nodeChanged: (n) => changed.push(n) });
  nodes.apply('ADDED', node('n1', { [ZONE_LABEL]: 'a' }));
  nodes.apply('MODIFIED', node('n1', { [ZONE_LABEL]: 'a', unrelated: 'y' }));
  t.deepEqual(changed, ['n1']);
  nodes.replace([node('n2', { [ZONE_LABEL]: 'b' })]);
  t.is(nodes.get('n1'), undefined);
  t.deepEqual(nodes.get('n2'), { zone: 'b' });
  nodes.apply('DELETED', node('n2', {}));
  t.is(nodes.size, 0);
  t.deepEqual(changed, ['n1', 'n2', 'n1', 'n2']);
});
