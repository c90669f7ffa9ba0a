// The example trust policies admit what the real server sends, and only that: the server (built binary) runs with
// --session-tags --cluster-name --source-identity against the STS emulator, with the example ServiceAccount and an
// intruder that names the same role; the recorded AssumeRole calls are checked against the policies' conditions.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { assertIsolatedNetwork, startStack, type Stack } from '@iam4kube/testkit';
import { buildManifests, type ManifestObject } from '../support/manifests.js';
import { assumeRoleContext, conditionFailures, examplePolicies, iamMatch, list } from '../support/iam-policy.js';

let stack: Stack;
let seedDir: string;
let sa: ManifestObject;
test.before(async () => {
  assertIsolatedNetwork();
  const manifests = await buildManifests();
  const workload = manifests.objects('examples/workload');
  manifests.copy.remove();
  sa = workload.find((o) => o.kind === 'ServiceAccount')!;
  const namespace = workload.find((o) => o.kind === 'Namespace')!;
  const intruder = { ...sa, metadata: { ...sa.metadata, name: 'intruder' } };
  const pod = (name: string, serviceAccount: string, ip: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: sa.metadata.namespace, annotations: { 'demo.iam4kube.io/pod-ip': ip } },
    spec: { serviceAccountName: serviceAccount, nodeName: 'node-a', containers: [{ name: 'app', image: 'app' }] },
  });
  seedDir = mkdtempSync(join(tmpdir(), 'iam4kube-trust-'));
  const docs = [namespace, sa, intruder, pod('reports', sa.metadata.name, '127.0.0.1'), pod('intruder', 'intruder', '127.0.0.2'), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' } }];
  writeFileSync(join(seedDir, 'seed.yaml'), docs.map((d) => stringify(d)).join('---\n'));
  stack = await startStack({ sts: 'emulator', manifestsDir: seedDir, serverArgs: ['--session-tags', '--cluster-name=prod-eu-1', '--source-identity'] });
});
test.after.always(async () => {
  await stack?.stop();
  if (seedDir) rmSync(seedDir, { recursive: true, force: true });
});

const policies = examplePolicies();
const callFor = (serviceAccount: string) => {
  const calls = stack.sts!.calls.filter((c) => c.action === 'AssumeRole' && c.params.RoleSessionName === `${sa.metadata.namespace}@${serviceAccount}`);
  if (calls.length === 0) throw new Error(`no AssumeRole for ${serviceAccount}: ${JSON.stringify(stack.sts!.calls.map((c) => c.params))}`);
  return calls[0]!;
};

test('the node role\'s permissions allow every action the call needs, on the role it names', (t) => {
  const call = callFor(sa.metadata.name);
  t.is(call.outcome, 'ok');
  const needed = ['sts:AssumeRole', ...(call.params.Tags?.length ? ['sts:TagSession'] : []), ...(call.params.SourceIdentity ? ['sts:SetSourceIdentity'] : [])];
  t.deepEqual(needed, ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity']);
  const permissions = policies.get('node-role-policy.json')!.Statement[0]!;
  for (const action of needed) t.true(list(permissions.Action).includes(action), action);
  t.true(list(permissions.Resource).some((r) => iamMatch(r, call.params.RoleArn!)));
});

test('the session-tags trust policy admits the ServiceAccount\'s call: every condition holds', (t) => {
  const call = callFor(sa.metadata.name);
  const statement = policies.get('trust-policy-session-tags.json')!.Statement[0]!;
  t.deepEqual(conditionFailures(statement, assumeRoleContext(call.params)), []);
  t.deepEqual(conditionFailures(policies.get('trust-policy-external-id.json')!.Statement[0]!, assumeRoleContext(call.params)), []);
});

test('and refuses another ServiceAccount that names the same role and external ID', (t) => {
  const call = callFor('intruder');
  const statement = policies.get('trust-policy-session-tags.json')!.Statement[0]!;
  t.deepEqual(conditionFailures(statement, assumeRoleContext(call.params)), [
    'aws:RequestTag/kubernetes-service-account: expected reports, the request has intruder',
    'sts:SourceIdentity: expected example@reports, the request has example@intruder',
  ]);
  // The external ID alone does not tell them apart: it is in the annotation, which anyone who can edit a
  // ServiceAccount can copy. Session tags come from the server's view of the pod.
  t.deepEqual(conditionFailures(policies.get('trust-policy-external-id.json')!.Statement[0]!, assumeRoleContext(call.params)), []);
});
