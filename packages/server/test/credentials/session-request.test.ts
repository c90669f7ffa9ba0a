import test from 'ava';
import { roleBindingFor } from '../../src/identity/role-binding.js';
import { lookupKey, sessionKey, sessionRequestFor } from '../../src/credentials/session-request.js';

const binding = roleBindingFor('demo', 'app', {
  'iam.amazonaws.com/roleArn': 'arn:aws:iam::123456789012:role/demo-role',
  'iam.amazonaws.com/roleExternalId': 'ext-123',
});
if (binding.kind !== 'role') throw new Error('bad fixture');
const sa = { namespace: 'demo', name: 'app', uid: 'uid-1' };

test('off by default: no tags, no SourceIdentity', (t) => {
  const request = sessionRequestFor(sa, binding, { sessionTags: false, clusterName: 'prod', sourceIdentity: false });
  t.deepEqual(request, {
    roleArn: 'arn:aws:iam::123456789012:role/demo-role',
    externalId: 'ext-123',
    sessionName: 'demo@app',
    tags: [],
    sourceIdentity: undefined,
    namespace: 'demo',
    serviceAccount: 'app',
    serviceAccountUid: 'uid-1',
  });
});

test('session tags: namespace, ServiceAccount, and the cluster name when set', (t) => {
  t.deepEqual(sessionRequestFor(sa, binding, { sessionTags: true, clusterName: 'prod', sourceIdentity: false }).tags, [
    { key: 'kubernetes-namespace', value: 'demo' },
    { key: 'kubernetes-service-account', value: 'app' },
    { key: 'kubernetes-cluster-name', value: 'prod' },
  ]);
  t.is(sessionRequestFor(sa, binding, { sessionTags: true, clusterName: undefined, sourceIdentity: false }).tags.length, 2);
});

test('SourceIdentity is the session name', (t) => {
  t.is(sessionRequestFor(sa, binding, { sessionTags: false, clusterName: undefined, sourceIdentity: true }).sourceIdentity, 'demo@app');
});

test('the entry key includes tags and SourceIdentity; the lookup key is what a request knows', (t) => {
  const plain = sessionRequestFor(sa, binding, { sessionTags: false, clusterName: undefined, sourceIdentity: false });
  const tagged = sessionRequestFor(sa, binding, { sessionTags: true, clusterName: 'prod', sourceIdentity: true });
  t.not(sessionKey(plain), sessionKey(tagged));
  t.is(lookupKey(plain), lookupKey(tagged));
  t.is(lookupKey(binding), lookupKey(plain));
  t.is(sessionKey(tagged), 'arn:aws:iam::123456789012:role/demo-role|ext-123|demo@app|kubernetes-namespace=demo,kubernetes-service-account=app,kubernetes-cluster-name=prod|demo@app');
});
