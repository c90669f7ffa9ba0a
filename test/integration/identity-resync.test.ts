import test from 'ava';
import { projectPod, type PodRecord } from '../../packages/server/src/kube/pod-record.js';
import { roleBindingFor } from '../../packages/server/src/identity/role-binding.js';
import { ROLE_ARN, namespace, pod, run, serviceAccount, startIdentityHarness, type ApiObject } from './identity-harness.js';

type PodObject = ApiObject & { status?: { phase?: string } };

// Watches cut and history compacted (410 Gone) in the middle of a burst of changes: once the reflectors have caught
// up, every cache must equal the API server's state, record by record.

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

function podView(r: PodRecord) {
  return {
    uid: r.uid,
    namespace: r.namespace,
    name: r.name,
    podIPs: [...r.podIPs],
    serviceAccountName: r.serviceAccountName,
    nodeName: r.nodeName,
    phase: r.phase,
    hostNetwork: r.hostNetwork,
    terminating: r.terminating,
    resourceVersion: r.resourceVersion,
  };
}

test('watch dropped and 410 during a burst of changes: the caches end equal to the API server, record by record', async (t) => {
  const h = await startIdentityHarness({ emulator: { historyWindow: 40 } });
  t.teardown(() => h.stop());
  const { api } = h;
  const random = prng(3);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  api.create(namespace('demo'));
  api.create(namespace('shop'));
  const namespaces = ['demo', 'shop'];
  for (const ns of namespaces) for (const sa of ['a', 'b', 'c']) api.create(serviceAccount(sa, undefined, ns));
  for (let n = 0; n < 4; n++) api.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: `node-${n}` } });
  let nextPod = 0;
  let nextIp = 1;
  let drops = 0;
  let compactions = 0;

  for (let step = 0; step < 600; step++) {
    const live = api.list<PodObject>('pods').filter((p) => !p.metadata.deletionTimestamp);
    const roll = random();
    if (roll < 0.3 || live.length < 5) {
      const ns = pick(namespaces);
      const name = `p${nextPod++}`;
      api.create(pod(name, pick(['a', 'b', 'c', 'default']), { ns, node: `node-${Math.floor(random() * 4)}`, hostNetwork: random() < 0.05 }));
      if (random() < 0.9) run(api, name, `10.30.${Math.floor(nextIp / 250)}.${nextIp++ % 250}`, ns);
    } else if (roll < 0.45) {
      const victim = pick(live);
      api.delete('pods', victim.metadata.namespace!, victim.metadata.name!, { gracePeriodSeconds: random() < 0.5 ? 0 : 30 });
    } else if (roll < 0.55) {
      const victim = pick(live);
      api.patchStatus('pods', victim.metadata.namespace!, victim.metadata.name!, { phase: pick(['Running', 'Succeeded', 'Failed', 'Running']) });
    } else if (roll < 0.6) {
      const terminating = api.list('pods').filter((p) => p.metadata.deletionTimestamp);
      if (terminating.length > 0) api.finalizePod(pick(terminating).metadata.namespace!, pick(terminating).metadata.name!);
    } else if (roll < 0.8) {
      const annotation = pick([ROLE_ARN, 'arn:aws:iam::123456789012:role/other', 'not-an-arn', null]);
      api.patch('serviceaccounts', pick(namespaces), pick(['a', 'b', 'c']), { metadata: { annotations: { 'iam.amazonaws.com/roleArn': annotation } } });
    } else if (roll < 0.85) {
      const ns = pick(namespaces);
      const name = pick(['d', 'e']);
      if (api.get('serviceaccounts', ns, name)) api.delete('serviceaccounts', ns, name);
      else api.create(serviceAccount(name, ROLE_ARN, ns));
    } else {
      api.patch('nodes', '', `node-${Math.floor(random() * 4)}`, {
        metadata: { labels: { 'topology.kubernetes.io/zone': pick(['eu-west-1a', 'eu-west-1b', null]), 'topology.kubernetes.io/region': pick(['eu-west-1', null]) } },
      });
    }
    if (step % 10 === 9) await new Promise((resolve) => setImmediate(resolve)); // let the watches run between changes
    if (step % 50 === 25) {
      api.faults.dropWatches();
      drops++;
    }
    if (step % 120 === 60) {
      api.faults.compact();
      compactions++;
    }
  }
  await h.caughtUp();

  const expectedPods = api
    .list<PodObject>('pods')
    .filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
    .map((p) => podView(projectPod(p as never)))
    .sort((a, b) => a.uid.localeCompare(b.uid));
  const cachedPods = [...h.pods.all()].map(podView);
  t.true(expectedPods.length > 20, `${expectedPods.length} pods`);
  t.deepEqual(cachedPods.sort((a, b) => a.uid.localeCompare(b.uid)), expectedPods);

  const expectedAccounts = api
    .list('serviceaccounts')
    .map((sa) => ({
      namespace: sa.metadata.namespace!,
      name: sa.metadata.name!,
      uid: sa.metadata.uid!,
      resourceVersion: sa.metadata.resourceVersion!,
      binding: roleBindingFor(sa.metadata.namespace!, sa.metadata.name!, sa.metadata.annotations),
    }))
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  const cachedAccounts = [...h.serviceAccounts.values()].map((r) => ({ ...r })).sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  t.deepEqual(cachedAccounts, expectedAccounts);

  for (const node of api.list('nodes')) {
    const labels = node.metadata.labels ?? {};
    t.deepEqual(h.nodes.get(node.metadata.name!), {
      ...(labels['topology.kubernetes.io/zone'] ? { zone: labels['topology.kubernetes.io/zone'] } : {}),
      ...(labels['topology.kubernetes.io/region'] ? { region: labels['topology.kubernetes.io/region'] } : {}),
    });
  }
  t.is(h.nodes.size, api.list('nodes').length);

  const relists = api.requests.filter((r) => !r.query['watch'] && ['/api/v1/pods', '/api/v1/serviceaccounts', '/api/v1/nodes'].includes(r.path)).length;
  t.true(drops >= 10 && compactions >= 4);
  t.true(relists > 3, `${relists} lists: the reflectors relisted after 410`);
  t.true(h.logs.some((l) => l.includes('410') || l.includes('relisting')), 'a 410 was seen');
});
