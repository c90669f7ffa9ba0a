// manifests/examples: the annotated ServiceAccount, the Deployment that uses it, and the IAM policies agree with
// each other and with what the server accepts (its own annotation parser).
import test from 'ava';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { EXTERNAL_ID_ANNOTATION, ROLE_ARN_ANNOTATION, roleBindingFor, sessionNameFor } from '@iam4kube/server';
import { buildManifests, find, type BuiltManifests, type ManifestObject } from '../support/manifests.js';
import { podSpec } from '../support/pod-spec.js';
import { examplePolicies, iamMatch, list } from '../support/iam-policy.js';

let manifests: BuiltManifests;
let objects: ManifestObject[];
test.before(async () => {
  manifests = await buildManifests();
  objects = manifests.objects('examples/workload');
});
test.after.always(() => manifests?.copy.remove());

const serviceAccount = () => objects.find((o) => o.kind === 'ServiceAccount')!;
const policies = examplePolicies();
const NODE_ROLE = 'arn:aws:iam::111122223333:role/iam4kube-server-node';

test('the ServiceAccount names a role (and an external ID) the server accepts', (t) => {
  const sa = serviceAccount();
  const binding = roleBindingFor(sa.metadata.namespace!, sa.metadata.name, sa.metadata.annotations);
  t.is(binding.kind, 'role', JSON.stringify(binding));
  if (binding.kind !== 'role') return;
  t.is(binding.externalId, sa.metadata.annotations![EXTERNAL_ID_ANNOTATION]);
  t.is(binding.sessionName, 'example@reports');
});

test('the Deployment runs as that ServiceAccount, in its namespace, and needs nothing else from iam4kube', (t) => {
  const sa = serviceAccount();
  const deployment = find<IDeployment>(objects, 'Deployment', 'reports');
  t.is(deployment.metadata!.namespace, sa.metadata.namespace);
  const spec = podSpec(deployment);
  t.is(spec.serviceAccountName, sa.metadata.name);
  t.false(JSON.stringify(spec).includes('169.254.169.254'), 'no metadata endpoint override: ip2service intercepts the default');
});

test('the IAM examples are the node role\'s permissions and three trust policies, all of them valid JSON policies', (t) => {
  t.deepEqual([...policies.keys()], ['node-role-policy.json', 'trust-policy-external-id.json', 'trust-policy-session-tags.json', 'trust-policy.json']);
  for (const [name, policy] of policies) {
    t.is(policy.Version, '2012-10-17', name);
    t.true(policy.Statement.length > 0, name);
    for (const s of policy.Statement) {
      t.is(s.Effect, 'Allow', name);
      t.true(list(s.Action).every((a) => /^sts:(AssumeRole|TagSession|SetSourceIdentity)$/.test(a)), name);
    }
  }
});

test('the node role may assume the example role, and every trust policy trusts the node role and nothing else', (t) => {
  const roleArn = serviceAccount().metadata.annotations![ROLE_ARN_ANNOTATION]!;
  const permissions = policies.get('node-role-policy.json')!.Statement[0]!;
  t.true(list(permissions.Resource).some((r) => iamMatch(r, roleArn)), `${roleArn} is not in ${JSON.stringify(permissions.Resource)}`);
  t.false(list(permissions.Resource).includes('*'), 'never every role');
  for (const [name, policy] of policies) {
    if (!name.startsWith('trust-')) continue;
    for (const s of policy.Statement) t.deepEqual(s.Principal, { AWS: NODE_ROLE }, name);
  }
});

test('the trust policies\' conditions name the ServiceAccount\'s external ID, namespace, name and session identity', (t) => {
  const sa = serviceAccount();
  const externalId = sa.metadata.annotations![EXTERNAL_ID_ANNOTATION];
  t.deepEqual(policies.get('trust-policy-external-id.json')!.Statement[0]!.Condition, { StringEquals: { 'sts:ExternalId': externalId } });
  const tags = policies.get('trust-policy-session-tags.json')!.Statement[0]!;
  t.deepEqual(list(tags.Action), ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity']);
  t.like(tags.Condition!.StringEquals, {
    'aws:RequestTag/kubernetes-namespace': sa.metadata.namespace,
    'aws:RequestTag/kubernetes-service-account': sa.metadata.name,
    'sts:SourceIdentity': sessionNameFor(sa.metadata.namespace!, sa.metadata.name),
    'sts:ExternalId': externalId,
  });
});
