import test from 'ava';

import { createDesiredState } from '../src/desired-state.js';
import type { DesiredState } from '../src/desired-state.js';
import type { Backend } from '../src/endpoints.js';
import { IptablesError } from '../src/iptables.js';
import { jumpRules, renderRestore } from '../src/render.js';
import { splitRuleLine } from '../src/rule-args.js';
import { createSyncer } from '../src/syncer.js';
import { FakeIptables } from './fake-iptables.js';

function state(backends: Backend[]): DesiredState {
  return createDesiredState({
    family: 'IPv4',
    service: 'iam4kube/server:metadata',
    metadataAddress: '169.254.169.254',
    metadataPort: 80,
    backends,
  });
}

const ONE = [{ ip: '10.0.0.1', port: 8181 }];
const TWO = [...ONE, { ip: '10.0.0.2', port: 8181 }];

/** A node with other owners' rules, as kube-proxy and a CNI leave it. */
function busyNode(): FakeIptables {
  const fake = new FakeIptables();
  fake.run('filter', '-N KUBE-FORWARD');
  fake.run('filter', '-A FORWARD -j KUBE-FORWARD');
  fake.run('filter', '-A KUBE-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
  fake.run('nat', '-N KUBE-SERVICES');
  fake.run('nat', '-A PREROUTING -j KUBE-SERVICES');
  return fake;
}

function harness(initial: Backend[] = ONE): { fake: FakeIptables; syncer: ReturnType<typeof createSyncer>; set(b: Backend[]): void } {
  const fake = busyNode();
  let desired = state(initial);
  const syncer = createSyncer({ iptables: fake, desiredState: () => desired });
  return { fake, syncer, set: (b) => (desired = state(b)) };
}

/** The rules of our chains as rendered, to compare with what the fake holds. */
function renderedRules(s: DesiredState, table: 'nat' | 'filter', chain: string): string[][] {
  const text = renderRestore(s);
  const section = text.slice(text.indexOf(`*${table}`));
  return section
    .slice(0, section.indexOf('COMMIT'))
    .split('\n')
    .filter((l) => l.startsWith(`-A ${chain} `))
    .map((l) => splitRuleLine(l).slice(2));
}

function assertInstalled(t: import('ava').ExecutionContext, fake: FakeIptables, s: DesiredState): void {
  for (const jump of jumpRules(s)) t.deepEqual(fake.rules(jump.table, jump.chain)[0], [...jump.args], `${jump.chain} starts with our jump`);
  for (const table of ['nat', 'filter'] as const) {
    for (const chain of fake.chains(table).filter((c) => c.startsWith('IP2SVC-'))) {
      t.deepEqual(fake.rules(table, chain), renderedRules(s, table, chain), `${table} ${chain}`);
    }
  }
}

test('first sync installs chains and jumps; others\' rules stay, after ours', async (t) => {
  const { fake, syncer } = harness();
  const report = await syncer.sync();
  t.deepEqual(report, { backends: 1, staleChainsDeleted: 0, jumpsRepaired: 3 });
  assertInstalled(t, fake, state(ONE));
  t.deepEqual(fake.chains('nat'), ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING', 'KUBE-SERVICES', 'IP2SVC-PREROUTING', 'IP2SVC-SEP-VYKPORXNC7K767F5']);
  t.deepEqual(fake.rules('filter', 'FORWARD')[1], ['-j', 'KUBE-FORWARD']);
  t.deepEqual(fake.rules('nat', 'PREROUTING')[1], ['-j', 'KUBE-SERVICES']);
});

test('a steady state rewrites our chains in one restore and touches no built-in chain', async (t) => {
  const { fake, syncer } = harness();
  await syncer.sync();
  const before = fake.writes.length;
  t.is((await syncer.sync()).jumpsRepaired, 0);
  t.deepEqual(fake.writes.slice(before).map((w) => w.split('\n')[0]), ['restore']);
});

test('backends changing: new endpoint chains appear, stale ones are deleted', async (t) => {
  const h = harness(TWO);
  await h.syncer.sync();
  t.true(h.fake.chains('nat').includes('IP2SVC-SEP-RKFPQSCNZLADMTD2'));
  h.set([{ ip: '10.0.0.3', port: 8181 }]);
  const report = await h.syncer.sync();
  t.is(report.staleChainsDeleted, 2);
  t.deepEqual(h.fake.chains('nat').filter((c) => c.startsWith('IP2SVC-SEP-')).length, 1);
  assertInstalled(t, h.fake, state([{ ip: '10.0.0.3', port: 8181 }]));
});

test('no endpoints: the nat chain only ACCEPTs (no later redirect applies) and the reject stays', async (t) => {
  const h = harness(TWO);
  await h.syncer.sync();
  h.set([]);
  await h.syncer.sync();
  t.deepEqual(h.fake.rules('nat', 'IP2SVC-PREROUTING').map((r) => r.slice(-2)), [['-j', 'ACCEPT']]);
  t.deepEqual(h.fake.chains('nat').filter((c) => c.startsWith('IP2SVC-SEP-')), []);
  t.true(h.fake.rules('filter', 'IP2SVC-FILTER').some((r) => r.includes('REJECT')));
  assertInstalled(t, h.fake, state([]));
});

test('jumps are moved back to position 1 after someone inserts rules above them', async (t) => {
  const { fake, syncer } = harness();
  await syncer.sync();
  fake.run('filter', '-I FORWARD 1 -j ACCEPT');
  fake.run('filter', '-I INPUT 1 -j ACCEPT');
  fake.run('nat', '-I PREROUTING 1 -j KUBE-SERVICES');
  t.is((await syncer.sync()).jumpsRepaired, 3);
  assertInstalled(t, fake, state(ONE));
  t.deepEqual(fake.rules('filter', 'FORWARD').slice(1), [['-j', 'ACCEPT'], ['-j', 'KUBE-FORWARD']]);
  t.is(fake.rules('filter', 'FORWARD').filter((r) => r.includes('IP2SVC-FILTER')).length, 1);
});

test('a flushed nat table is repaired on the next sync', async (t) => {
  const { fake, syncer } = harness(TWO);
  await syncer.sync();
  fake.flush('nat');
  t.deepEqual(fake.rules('nat', 'IP2SVC-PREROUTING'), []);
  t.deepEqual(fake.rules('nat', 'PREROUTING'), []);
  t.is((await syncer.sync()).jumpsRepaired, 1);
  assertInstalled(t, fake, state(TWO));
});

test('chains deleted by someone are recreated', async (t) => {
  const { fake, syncer } = harness();
  await syncer.sync();
  fake.flush('filter');
  fake.run('filter', '-X IP2SVC-FILTER');
  await syncer.sync();
  assertInstalled(t, fake, state(ONE));
});

test('a failed restore changes nothing and reports the lines around the one blamed', async (t) => {
  const { fake, syncer } = harness();
  await syncer.sync();
  const before = fake.dump('nat') + fake.dump('filter');
  fake.failNextRestore('iptables-restore: line 4 failed: No chain/target/match by that name.\n');
  const error = await t.throwsAsync(syncer.sync(), { instanceOf: IptablesError });
  t.is(error?.line, 4);
  t.regex(error?.context ?? '', /^> {4}4 {2}-A IP2SVC-FILTER -d 169\.254\.169\.254\/32 /m);
  t.regex(error?.message ?? '', /line 4 failed/);
  t.is(fake.dump('nat') + fake.dump('filter'), before);
});

test('cleanup removes our jumps and chains, and nothing else', async (t) => {
  const { fake, syncer } = harness(TWO);
  const pristine = { nat: fake.dump('nat'), filter: fake.dump('filter') };
  await syncer.sync();
  fake.run('filter', '-I INPUT 1 -j ACCEPT');
  await syncer.cleanup();
  t.is(fake.dump('nat'), pristine.nat);
  t.is(fake.dump('filter'), pristine.filter.replace('-A FORWARD', '-A INPUT -j ACCEPT\n-A FORWARD'));
  await syncer.cleanup(); // nothing left: a no-op, not an error
  t.is(fake.dump('nat'), pristine.nat);
});

test('a desired state of the other family is refused before any write', async (t) => {
  const fake = new FakeIptables('IPv4');
  const v6 = createDesiredState({ family: 'IPv6', service: 's', metadataAddress: 'fd00:ec2::254', metadataPort: 80, backends: [] });
  const syncer = createSyncer({ iptables: fake, desiredState: () => v6 });
  await t.throwsAsync(syncer.sync(), { message: /IPv6/ });
  t.deepEqual(fake.writes, []);
});
