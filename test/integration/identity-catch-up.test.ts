import test from 'ava';
import { ROLE_ARN, laggingSource, namespace, pod, run, serviceAccount, startIdentityHarness } from './identity-harness.js';

// The ServiceAccount watch lags the pod watch (held back by the test). "Annotate, then create the pod" must not be
// answered "no role" from the stale cache.

async function lagging(t: { teardown(fn: () => Promise<void>): void }) {
  let source!: ReturnType<typeof laggingSource>;
  const h = await startIdentityHarness({ serviceAccountSource: (s) => (source = laggingSource(s)) });
  t.teardown(() => h.stop());
  h.api.create(namespace('demo'));
  h.api.create(serviceAccount('app'));
  await h.caughtUp();
  return { h, source };
}

test('annotate, then create the pod: the answer waits for the lagging ServiceAccount watch and gives the role', async (t) => {
  const { h, source } = await lagging(t);
  source.lagging = true;
  h.api.patch('serviceaccounts', 'demo', 'app', { metadata: { annotations: { 'iam.amazonaws.com/roleArn': ROLE_ARN } } });
  h.api.create(pod('web', 'app'));
  run(h.api, 'web', '10.40.0.1');
  await h.caughtUp(['pods']);
  t.is(h.serviceAccounts.get('demo', 'app')?.binding.kind, 'none', 'the cache is stale');

  const probed = h.api.waitForRequest((r) => r.method === 'GET' && r.path === '/api/v1/namespaces/demo/serviceaccounts/app');
  const waiting = h.waitingOn('sa:demo/app');
  const request = h.resolve('10.40.0.1');
  t.true((await probed).accept?.includes('as=PartialObjectMetadata;'), 'one metadata-only GET of that ServiceAccount');
  // Either the request waits for the ServiceAccount's event, or (wrongly) answers from the stale cache.
  const first = await Promise.race([waiting.then(() => 'waiting'), request.answer.then((r) => r.kind)]);
  t.is(first, 'waiting', 'not answered "no role" from the stale cache');

  source.release();
  t.like(await request.answer, { kind: 'role', pod: { name: 'web' }, binding: { roleArn: ROLE_ARN } });
});

test('a pod whose ServiceAccount really has no role is answered after one GET even while the watch lags', async (t) => {
  const { h, source } = await lagging(t);
  source.lagging = true;
  h.api.create(pod('plain', 'app'));
  run(h.api, 'plain', '10.40.0.2');
  await h.caughtUp(['pods']);
  h.api.clearRequests();
  const started = performance.now();
  t.like(await h.resolve('10.40.0.2').answer, { kind: 'no-role', pod: { name: 'plain' } });
  t.true(performance.now() - started < 2000, 'no wait for a bookmark');
  t.is(h.api.requests.filter((r) => r.path === '/api/v1/namespaces/demo/serviceaccounts/app').length, 1);
  t.like(await h.resolve('10.40.0.2').answer, { kind: 'no-role' });
  t.is(h.api.requests.filter((r) => r.path === '/api/v1/namespaces/demo/serviceaccounts/app').length, 1, 'remembered: no second GET');
  source.release();
});

test('with the watch caught up, no GET is made at all', async (t) => {
  const { h } = await lagging(t);
  h.api.create(pod('plain', 'app'));
  run(h.api, 'plain', '10.40.0.3');
  await h.caughtUp();
  h.api.clearRequests();
  t.like(await h.resolve('10.40.0.3').answer, { kind: 'no-role' });
  t.is(h.api.requests.filter((r) => r.path.startsWith('/api/v1/namespaces/demo/serviceaccounts')).length, 0);
});
