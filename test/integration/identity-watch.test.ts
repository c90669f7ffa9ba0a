import test from 'ava';
import { ROLE_ARN, laggingSource, namespace, pod, run, serviceAccount, startIdentityHarness, type ApiObject, type IdentityHarness } from './identity-harness.js';

// The identity engine (real reflectors over HTTP, indices, waiters) against the Kubernetes API emulator.

async function harness(t: { teardown(fn: () => Promise<void>): void }, options?: Parameters<typeof startIdentityHarness>[0]): Promise<IdentityHarness> {
  const h = await startIdentityHarness(options);
  t.teardown(() => h.stop());
  h.api.create(namespace('demo'));
  return h;
}

test('a pod created after the request arrived is served as soon as it appears', async (t) => {
  const h = await harness(t);
  h.api.create(serviceAccount('app', ROLE_ARN));
  await h.caughtUp();
  const request = h.resolve('10.20.0.1');
  t.is(h.waiters.keys, 1, 'the request waits on its IP');

  h.api.create(pod('web', 'app'));
  await h.caughtUp();
  t.is(request.settled(), undefined, 'a pod without an IP yet is no answer');

  run(h.api, 'web', '10.20.0.1');
  const answer = await request.answer;
  const answeredAt = performance.now();
  t.like(answer, { kind: 'role', pod: { name: 'web', namespace: 'demo' }, binding: { roleArn: ROLE_ARN } });
  const lag = answeredAt - h.ipChangedAt.get('10.20.0.1')!;
  t.true(lag < 100, `answered ${lag.toFixed(1)} ms after the watch event (released by the event, not by polling)`);
  t.is(h.waiters.keys, 0);
});

test('a ServiceAccount annotated after the pod exists gives the pod its role, with no restart', async (t) => {
  const h = await harness(t);
  h.api.create(serviceAccount('app'));
  h.api.create(pod('web', 'app'));
  run(h.api, 'web', '10.20.0.2');
  await h.caughtUp();
  t.like(await h.resolve('10.20.0.2').answer, { kind: 'no-role', pod: { name: 'web' } });

  h.api.patch('serviceaccounts', 'demo', 'app', { metadata: { annotations: { 'iam.amazonaws.com/roleArn': ROLE_ARN } } });
  await h.caughtUp();
  t.like(await h.resolve('10.20.0.2').answer, { kind: 'role', binding: { roleArn: ROLE_ARN, sessionName: 'demo@app' } });

  h.api.patch('serviceaccounts', 'demo', 'app', { metadata: { annotations: { 'iam.amazonaws.com/roleArn': null } } });
  await h.caughtUp();
  t.like(await h.resolve('10.20.0.2').answer, { kind: 'no-role' }, 'and takes it away when the annotation goes');
});

test('a pod whose ServiceAccount is not seen yet waits for it and is released by its event', async (t) => {
  let source!: ReturnType<typeof laggingSource>;
  const h = await harness(t, { serviceAccountSource: (s) => (source = laggingSource(s)) });
  source.lagging = true; // the ServiceAccount watch falls behind the pod watch
  h.api.create(serviceAccount('app', ROLE_ARN));
  h.api.create(pod('web', 'app'));
  run(h.api, 'web', '10.20.0.3');
  await h.caughtUp(['pods']);
  const request = h.resolve('10.20.0.3');
  await h.api.waitForRequest((r) => r.path === '/api/v1/namespaces/demo/serviceaccounts/app');
  t.is(request.settled(), undefined, 'the pod is known, its ServiceAccount not yet: it waits');
  source.release();
  t.like(await request.answer, { kind: 'role', pod: { name: 'web' } });
});

test('a ServiceAccount that does not exist at the pod\'s revision is refused at once, without waiting for the deadline', async (t) => {
  const h = await harness(t, { emulator: { serviceAccountAdmission: false } });
  h.api.create(pod('orphan', 'missing'));
  run(h.api, 'orphan', '10.20.0.7');
  await h.caughtUp();
  t.like(await h.resolve('10.20.0.7', 60_000).answer, { kind: 'refused', reason: 'unknown-service-account', pod: { name: 'orphan' } });
});

test('an IP reused by a new pod while the old one terminates goes to the new pod, never back to the old', async (t) => {
  const h = await harness(t);
  const OTHER = 'arn:aws:iam::123456789012:role/other-role';
  h.api.create(serviceAccount('old-sa', ROLE_ARN));
  h.api.create(serviceAccount('new-sa', OTHER));
  h.api.create(pod('old', 'old-sa'));
  run(h.api, 'old', '10.20.0.4');
  await h.caughtUp();
  t.like(await h.resolve('10.20.0.4').answer, { kind: 'role', pod: { name: 'old' }, binding: { roleArn: ROLE_ARN } });

  h.api.delete('pods', 'demo', 'old', { gracePeriodSeconds: 30 });
  await h.caughtUp();
  t.like(await h.resolve('10.20.0.4').answer, { kind: 'role', pod: { name: 'old', terminating: true } }, 'keeps its credentials during its grace period');

  h.api.create(pod('new', 'new-sa'));
  run(h.api, 'new', '10.20.0.4');
  await h.caughtUp();
  t.like(await h.resolve('10.20.0.4').answer, { kind: 'role', pod: { name: 'new' }, binding: { roleArn: OTHER } });

  h.api.patchStatus('pods', 'demo', 'old', { conditions: [{ type: 'Ready', status: 'False' }] });
  await h.caughtUp();
  t.like(await h.resolve('10.20.0.4').answer, { kind: 'role', pod: { name: 'new' } }, 'an update of the old pod does not take the IP back');

  t.true(h.api.finalizePod('demo', 'old'));
  await h.caughtUp();
  t.like(await h.resolve('10.20.0.4').answer, { kind: 'role', pod: { name: 'new' } });
  t.is(h.pods.size, 1);
});

test('ServiceAccounts and Nodes are watched as metadata only; nodes give zone and region', async (t) => {
  const h = await harness(t);
  h.api.create({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'node-a', labels: { 'topology.kubernetes.io/zone': 'eu-west-1b', 'topology.kubernetes.io/region': 'eu-west-1' } },
    status: { capacity: { cpu: '4' }, images: [{ names: ['big-image'], sizeBytes: 1 }] },
  });
  h.api.create(serviceAccount('app', ROLE_ARN));
  await h.caughtUp();
  t.deepEqual(h.nodes.get('node-a'), { zone: 'eu-west-1b', region: 'eu-west-1' });
  t.like(h.serviceAccounts.get('demo', 'app'), { binding: { kind: 'role', roleArn: ROLE_ARN } });
  const metadataRequests = h.api.requests.filter((r) => r.path === '/api/v1/serviceaccounts' || r.path === '/api/v1/nodes');
  t.true(metadataRequests.length >= 4, 'a list and a watch of each');
  for (const r of metadataRequests) {
    const expected = r.query['watch'] === 'true' ? 'as=PartialObjectMetadata;' : 'as=PartialObjectMetadataList;';
    t.true(r.accept?.includes(expected), `${r.path} ${r.query['watch'] ? 'watch' : 'list'}: ${r.accept}`);
  }
  const podRequests = h.api.requests.filter((r) => r.path === '/api/v1/pods');
  t.true(podRequests.every((r) => r.query['fieldSelector'] === 'status.phase!=Succeeded,status.phase!=Failed' && !r.accept?.includes('as=')));
});

test('two live pods on one IP: refused, and a Warning Event on each pod through the API', async (t) => {
  const h = await harness(t);
  h.api.create(serviceAccount('app', ROLE_ARN));
  h.api.create(pod('a', 'app'));
  h.api.create(pod('b', 'app'));
  run(h.api, 'a', '10.20.0.5');
  run(h.api, 'b', '10.20.0.5');
  await h.caughtUp();
  t.like(await h.resolve('10.20.0.5').answer, { kind: 'refused', reason: 'ambiguous-ip' });
  const events = await eventually(() => {
    const found = h.api.list<ApiObject & { involvedObject: { name: string; kind: string }; reason: string; type: string; count: number }>('events', 'demo');
    return found.length >= 2 ? found : undefined;
  }, h);
  t.deepEqual(events.map((e) => [e.involvedObject.kind, e.involvedObject.name, e.type, e.reason]).sort(), [
    ['Pod', 'a', 'Warning', 'AmbiguousPodIP'],
    ['Pod', 'b', 'Warning', 'AmbiguousPodIP'],
  ]);
  t.true(h.logs.some((l) => l.includes('live pods share an IP')));
});

test('an invalid annotation: a Warning Event on the ServiceAccount, and its pods get "invalid role"', async (t) => {
  const h = await harness(t);
  h.api.create(serviceAccount('app', 'arn:aws:iam::123456789012:user/bob'));
  h.api.create(pod('web', 'app'));
  run(h.api, 'web', '10.20.0.6');
  await h.caughtUp();
  const answer = await h.resolve('10.20.0.6').answer;
  t.is(answer.kind, 'invalid-role');
  const events = await eventually(() => {
    const found = h.api.list<ApiObject & { involvedObject: { kind: string; name: string }; reason: string; message: string }>('events', 'demo');
    return found.length >= 1 ? found : undefined;
  }, h);
  t.like(events[0], { involvedObject: { kind: 'ServiceAccount', name: 'app' }, reason: 'InvalidRoleBinding' });
  t.regex(events[0]!.message, /not a full IAM role ARN/);
});

/** Event writes are asynchronous HTTP calls: wait for the emulator to have seen them (change notifications). */
function eventually<T>(probe: () => T | undefined, h: IdentityHarness): Promise<T> {
  const now = probe();
  if (now !== undefined) return Promise.resolve(now);
  return new Promise((resolve) => {
    const unsubscribe = h.api.onChange(() => {
      const found = probe();
      if (found === undefined) return;
      unsubscribe();
      resolve(found);
    });
  });
}

test('pod watch cut, then the IP given to a new pod: the old pod is never named, the new one is once confirmed', async (t) => {
  const h = await harness(t, { backoffInitialMs: 1500 });
  const OTHER = 'arn:aws:iam::123456789012:role/other-role';
  h.api.create(serviceAccount('old-sa', ROLE_ARN));
  h.api.create(serviceAccount('new-sa', OTHER));
  h.api.create(pod('old', 'old-sa'));
  run(h.api, 'old', '10.20.0.8');
  await h.caughtUp();
  t.true(h.podGuard.live);

  const ended = h.podWatchEnded();
  h.api.faults.dropWatches(); // the reflectors back off before they reconnect
  await ended;
  h.api.delete('pods', 'demo', 'old', { gracePeriodSeconds: 0 });
  h.api.create(pod('new', 'new-sa'));
  run(h.api, 'new', '10.20.0.8');
  t.like(h.pods.lookup('10.20.0.8'), { kind: 'pod', pod: { name: 'old' } }, 'the cache still has the old pod');
  t.false(h.podGuard.live);

  const answer = await h.resolve('10.20.0.8').answer;
  t.like(answer, { kind: 'role', pod: { name: 'new' }, binding: { roleArn: OTHER } });
});
