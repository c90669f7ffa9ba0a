import test from 'ava';
import { serverEndpointSlice as slice } from '../support/endpoint-slice.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  NetnsLab,
  bridgeUnixSocketToTcp,
  netnsUnsupportedReason,
  peerArgv,
  startKubeApiEmulator,
  type KubeApiEmulator,
  type NetnsProcess,
} from '@iam4kube/testkit';

/**
 * The real ip2service binary against the real kernel, in network namespaces made for this test (never the test's
 * own namespace, never the host's):
 *
 *   pod 10.200.1.2 ──► node (ip_forward, ip2service, its iptables) ──► server-a 10.200.2.2:8181
 *                                                                  ├─► server-b 10.200.3.2:8181
 *                                                                  └─► imds 169.254.169.254:80 (records everything)
 *
 * The API emulator runs in the test process; the node namespace reaches it through a unix socket (a TCP relay in the
 * node namespace, on the emulator's port). The pod's only route is through the node, which has only the four links.
 */

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(repoRoot, 'packages/ip2service/dist/src/main.js');
const METADATA = '169.254.169.254';
const POD = '10.200.1.2';
const SERVER_A = '10.200.2.2';
const SERVER_B = '10.200.3.2';
const RESYNC_MS = 2000;
const TAINT = 'iam4kube.io/agent-not-ready';
const FOREIGN_NAT_RULE = ['-d', '192.0.2.2/32', '-p', 'tcp', '-j', 'DNAT', '--to-destination', `${SERVER_A}:8181`];
const CLIENT_ENV = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };

const unsupported = netnsUnsupportedReason(['iptables', 'iptables-save', 'curl']);
const serial = unsupported === undefined ? test.serial : test.serial.skip;
if (unsupported !== undefined) test.serial.skip(`ip2service network namespace tests: ${unsupported}`, () => {});

interface World {
  lab: NetnsLab;
  ns: Record<'node' | 'pod' | 'serverA' | 'serverB' | 'imds', string>;
  emulator: KubeApiEmulator;
  closeBridge: () => Promise<void>;
  tmp: string;
  kubeconfig: string;
  imds: NetnsProcess;
  agent: NetnsProcess;
  pristine: string;
  /** imds.lines.length at ip2service's first successful sync. */
  imdsCutoff: number;
}
let w: World;

type Answer = { readonly ok: true; readonly name: string; readonly remote: string } | { readonly ok: false; readonly curlExit: number | null; readonly ms: number };

/** One HTTP GET from inside a namespace with curl (no proxy, a bounded time). */
async function get(ns: string, url: string, maxTimeS = 3): Promise<Answer> {
  const started = performance.now();
  const r = await w.lab.exec(ns, ['curl', '-sS', '--noproxy', '*', '--max-time', String(maxTimeS), url], { env: CLIENT_ENV });
  if (r.code !== 0) return { ok: false, curlExit: r.code, ms: performance.now() - started };
  const body = JSON.parse(r.stdout) as { name: string; remote: string };
  return { ok: true, name: body.name, remote: body.remote };
}

async function many(ns: string, n: number): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < n; i++) answers.push(await get(ns, `http://${METADATA}/latest/meta-data/iam/security-credentials/`));
  return answers;
}

/** iptables-save of the node without comments and counters, to compare rule sets. */
async function save(): Promise<string> {
  const text = await w.lab.run(w.ns.node, ['iptables-save']);
  return text
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/g, '[0:0]'))
    .join('\n');
}

/** Waits for a JSON log line of the agent, logged at or after line `from`. */
async function agentLog(match: (l: Record<string, any>) => boolean, from = 0, timeoutMs = 10_000): Promise<Record<string, any>> {
  const parse = (line: string): Record<string, any> | undefined => {
    try {
      return JSON.parse(line) as Record<string, any>;
    } catch {
      return undefined;
    }
  };
  const matches = (line: string): boolean => {
    const parsed = parse(line);
    return parsed !== undefined && match(parsed);
  };
  return parse(await w.agent.waitForLine(matches, { from, timeoutMs }))!;
}

async function setBackends(ips: string[]): Promise<void> {
  const from = w.agent.lines.length;
  const current = w.emulator.get('endpointslices', 'iam4kube', 'iam4kube-server-abcde')!;
  w.emulator.update({ ...slice(ips), metadata: { ...slice(ips).metadata, resourceVersion: current.metadata?.resourceVersion } });
  await agentLog((l) => String(l.msg).startsWith('rules synced') && l.backends === ips.length, from);
}

test.before(async () => {
  if (unsupported !== undefined) return;
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npx tsc -b)`);
  const lab = new NetnsLab('i4k');
  const tmp = mkdtempSync(join(tmpdir(), 'i4k-netns-'));
  w = { lab, tmp } as World;
  const ns = { node: await lab.add('node'), pod: await lab.add('pod'), serverA: await lab.add('srv-a'), serverB: await lab.add('srv-b'), imds: await lab.add('imds') };
  w.ns = ns;
  await lab.link({ ns: ns.node, ifname: 'to-pod', address: '10.200.1.1/24' }, { ns: ns.pod, ifname: 'eth0', address: `${POD}/24` });
  await lab.link({ ns: ns.node, ifname: 'to-srv-a', address: '10.200.2.1/24' }, { ns: ns.serverA, ifname: 'eth0', address: `${SERVER_A}/24` });
  await lab.link({ ns: ns.node, ifname: 'to-srv-b', address: '10.200.3.1/24' }, { ns: ns.serverB, ifname: 'eth0', address: `${SERVER_B}/24` });
  await lab.link({ ns: ns.node, ifname: 'to-imds', address: '10.200.4.1/24' }, { ns: ns.imds, ifname: 'eth0', address: '10.200.4.2/24' });
  for (const [name, gateway] of [[ns.pod, '10.200.1.1'], [ns.serverA, '10.200.2.1'], [ns.serverB, '10.200.3.1'], [ns.imds, '10.200.4.1']] as const) {
    await lab.ip(['-n', name, 'route', 'add', 'default', 'via', gateway]);
  }
  // The stand-in for the cloud's metadata service owns the address; the node routes it there, as a cloud does.
  await lab.ip(['-n', ns.imds, 'addr', 'add', `${METADATA}/32`, 'dev', 'lo']);
  await lab.ip(['-n', ns.node, 'route', 'add', `${METADATA}/32`, 'via', '10.200.4.2']);
  await lab.run(ns.node, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);

  const listening = (p: NetnsProcess) => p.waitForLine((l) => l.includes('"listening"'));
  const serverA = lab.spawn(ns.serverA, peerArgv('echo', ['server-a', '0.0.0.0', '8181']), { name: 'server-a' });
  const serverB = lab.spawn(ns.serverB, peerArgv('echo', ['server-b', '0.0.0.0', '8181']), { name: 'server-b' });
  w.imds = lab.spawn(ns.imds, peerArgv('echo', ['real-metadata', METADATA, '80']), { name: 'imds' });
  await Promise.all([listening(serverA), listening(serverB), listening(w.imds)]);

  w.emulator = await startKubeApiEmulator({ namespaces: ['default', 'iam4kube'] });
  w.emulator.create(slice([SERVER_A, SERVER_B]));
  w.emulator.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' }, spec: { taints: [{ key: TAINT, effect: 'NoSchedule' }, { key: 'other', effect: 'NoSchedule' }] } });
  const port = Number(new URL(w.emulator.url).port);
  const socket = join(tmp, 'kube-api.sock');
  w.closeBridge = (await bridgeUnixSocketToTcp(socket, port)).close;
  await listening(lab.spawn(ns.node, peerArgv('forward', ['127.0.0.1', String(port), socket]), { name: 'kube-api relay' }));
  w.kubeconfig = join(tmp, 'kubeconfig');
  await w.emulator.writeKubeconfig(w.kubeconfig);

  // Other owners' rules on the node, as kube-proxy or a CNI leave them: cleanup must keep them.
  for (const args of [['-N', 'FOREIGN-FWD'], ['-A', 'FOREIGN-FWD', '-d', '192.0.2.1/32', '-j', 'DROP'], ['-A', 'FORWARD', '-j', 'FOREIGN-FWD']]) {
    await lab.run(ns.node, ['iptables', '-w', '-t', 'filter', ...args]);
  }
  await lab.run(ns.node, ['iptables', '-w', '-t', 'nat', '-A', 'PREROUTING', ...FOREIGN_NAT_RULE]);
  w.pristine = await save();

  // Before ip2service: the pod reaches the "real" metadata service, and the stand-in records it. This proves a leak
  // would be observed, and leaves a conntrack entry for the first sync to flush.
  const before = await get(ns.pod, `http://${METADATA}/`);
  if (!before.ok || before.name !== 'real-metadata' || before.remote !== POD) throw new Error(`lab broken: ${JSON.stringify(before)}`);

  w.agent = lab.spawn(
    ns.node,
    [
      process.execPath,
      MAIN,
      `--kubeconfig=${w.kubeconfig}`,
      '--aux-host=127.0.0.1',
      '--aux-port=9192',
      '--min-sync-interval=100ms',
      `--resync-period=${RESYNC_MS}ms`,
      '--health-max-sync-age=10s',
      '--exclude-server-pods',
      '--node-name=node-1',
      `--remove-taint=${TAINT}`,
      '--log-level=debug',
    ],
    { name: 'ip2service', env: { ...CLIENT_ENV, HOME: tmp } },
  );
  await agentLog((l) => String(l.msg).startsWith('rules synced') && l.reason === 'start');
  w.imdsCutoff = w.imds.lines.length;
});

test.after.always(async () => {
  if (w === undefined) return;
  await w.lab.destroy(); // kills the agent, the servers and the relay, then deletes the namespaces
  await w.closeBridge?.();
  await w.emulator?.close();
  rmSync(w.tmp, { recursive: true, force: true });
});

serial('the lab: the pod and the node have no interface but ours, the pod no route but through the node', async (t) => {
  t.deepEqual(await w.lab.interfaces(w.ns.node), ['lo', 'to-imds', 'to-pod', 'to-srv-a', 'to-srv-b']);
  t.deepEqual(await w.lab.interfaces(w.ns.pod), ['eth0', 'lo']);
  const routes = (await w.lab.run(w.ns.pod, ['ip', '-4', 'route', 'show'])).trim().split('\n').map((l) => l.trim());
  t.deepEqual(routes, ['default via 10.200.1.1 dev eth0', '10.200.1.0/24 dev eth0 proto kernel scope link src 10.200.1.2']);
});

serial('the first sync flushes the conntrack entry of the flow the pod opened before the rules existed', async (t) => {
  const flushed = await agentLog((l) => String(l.msg).includes('conntrack'));
  t.is(flushed.msg, 'conntrack entries to the metadata address flushed');
  t.true(flushed.entries >= 1);
  const left = await w.lab.exec(w.ns.node, ['conntrack', '-L', '-d', METADATA, '-p', 'tcp', '--dport', '80'], { env: CLIENT_ENV });
  t.regex(left.stderr, /0 flow entries have been shown/);
});

serial('pod traffic to the metadata address reaches both servers, which see the pod\'s own address', async (t) => {
  const answers = await many(w.ns.pod, 40);
  const names = answers.map((a) => (a.ok ? a.name : `failed: curl exit ${a.curlExit}`));
  t.true(answers.every((a) => a.ok && a.remote === POD), JSON.stringify(answers.find((a) => !a.ok || a.remote !== POD)));
  t.true(names.filter((n) => n === 'server-a').length >= 1, names.join());
  t.true(names.filter((n) => n === 'server-b').length >= 1, names.join());
  t.is(names.filter((n) => n !== 'server-a' && n !== 'server-b').length, 0);
});

serial('probes and metrics on the aux port; the taint is removed from the node, the other one kept', async (t) => {
  const aux = (path: string) => w.lab.exec(w.ns.node, ['curl', '-sS', '--noproxy', '*', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:9192${path}`], { env: CLIENT_ENV });
  t.is((await aux('/healthz')).stdout, '200');
  t.is((await aux('/readyz')).stdout, '200');
  const metrics = await w.lab.run(w.ns.node, ['curl', '-sS', '--noproxy', '*', 'http://127.0.0.1:9192/metrics'], { env: CLIENT_ENV });
  t.regex(metrics, /^iam4kube_ip2service_backends 2$/m);
  t.regex(metrics, /^iam4kube_ip2service_syncs_total\{outcome="success"\} [1-9]\d*$/m);
  t.regex(metrics, /^iam4kube_ip2service_syncs_total\{outcome="error"\} 0$/m);
  await agentLog((l) => l.msg === 'taint removed from the node: pods may be scheduled here now');
  const node = w.emulator.get('nodes', '', 'node-1') as { spec?: { taints?: unknown[] } } | undefined;
  t.deepEqual(node?.spec?.taints, [{ key: 'other', effect: 'NoSchedule' }]);
});

serial('with --exclude-server-pods the servers\' own metadata traffic goes to the real service, not back to a server', async (t) => {
  for (const [ns, ip] of [[w.ns.serverA, SERVER_A], [w.ns.serverB, SERVER_B]] as const) {
    const answers = await many(ns, 5);
    t.deepEqual(answers, Array(5).fill({ ok: true, name: 'real-metadata', remote: ip }));
  }
});

serial('removing an endpoint moves all traffic to the other one', async (t) => {
  await setBackends([SERVER_B]);
  const answers = await many(w.ns.pod, 20);
  t.deepEqual(answers, Array(20).fill({ ok: true, name: 'server-b', remote: POD }));
});

serial('with no endpoint the pod\'s connection is reset at once', async (t) => {
  await setBackends([]);
  const answer = await get(w.ns.pod, `http://${METADATA}/latest/meta-data/`, 1);
  t.false(answer.ok);
  if (answer.ok) return;
  t.is(answer.curlExit, 7, 'curl: failed to connect (connection refused by the reset)');
  t.true(answer.ms < 1000, `${answer.ms} ms`);
});

serial('with no endpoint, another owner\'s redirect further down PREROUTING (an old kube2iam/kiam agent) gets nothing', async (t) => {
  // What kube2iam and kiam append to PREROUTING: the metadata address DNATed to their agent (server-a plays it).
  const rule = (op: string) => ['iptables', '-w', '-t', 'nat', op, 'PREROUTING', '-d', `${METADATA}/32`, '-p', 'tcp', '-m', 'tcp', '--dport', '80', '-j', 'DNAT', '--to-destination', `${SERVER_A}:8181`];
  await w.lab.run(w.ns.node, rule('-A'));
  const answer = await get(w.ns.pod, `http://${METADATA}/latest/meta-data/`, 1).finally(() => w.lab.run(w.ns.node, rule('-D')));
  t.like(answer, { ok: false, curlExit: 7 }, 'still rejected: our chain ends the nat traversal before the foreign DNAT');
});

serial('a flushed nat table is repaired within the resync period; meanwhile pod traffic is rejected', async (t) => {
  // Right after a sync, so the next resync is a whole period away and cannot repair before we look.
  await setBackends([SERVER_A, SERVER_B]);
  const from = w.agent.lines.length;
  const flushedAt = performance.now();
  await w.lab.run(w.ns.node, ['iptables', '-w', '-t', 'nat', '-F']);
  await w.lab.run(w.ns.node, ['iptables', '-w', '-t', 'nat', '-A', 'PREROUTING', ...FOREIGN_NAT_RULE]); // its owner puts it back
  const during = await get(w.ns.pod, `http://${METADATA}/`, 1);
  t.like(during, { ok: false, curlExit: 7 }, 'fail closed: the filter rules still reject');
  const repaired = await agentLog((l) => String(l.msg).startsWith('rules synced') && l.jumpsRepaired >= 1, from, RESYNC_MS + 3000);
  t.true(performance.now() - flushedAt < RESYNC_MS + 1500, 'within the resync period (plus a sync)');
  t.is(repaired.level, 'warn');
  const after = await get(w.ns.pod, `http://${METADATA}/`);
  t.true(after.ok && after.remote === POD && after.name.startsWith('server-'), JSON.stringify(after));
  const metrics = await w.lab.run(w.ns.node, ['curl', '-sS', '--noproxy', '*', 'http://127.0.0.1:9192/metrics'], { env: CLIENT_ENV });
  t.regex(metrics, /^iam4kube_ip2service_jumps_repaired_total 1$/m);
});

serial('SIGTERM: exits 0 and leaves the rules in place', async (t) => {
  const exit = await w.agent.stop('SIGTERM');
  t.deepEqual(exit, { code: 0, signal: null });
  t.truthy(await agentLog((l) => String(l.msg).startsWith('stopped; iptables rules left in place')));
  t.regex(await save(), /-A PREROUTING -d 169\.254\.169\.254\/32 .* -j IP2SVC-PREROUTING/);
  const answer = await get(w.ns.pod, `http://${METADATA}/`);
  t.true(answer.ok && answer.name.startsWith('server-'), JSON.stringify(answer));
});

serial('the real metadata service received nothing from the pod after the first sync', (t) => {
  const fromPod = (lines: string[]) => lines.map((l) => JSON.parse(l) as { event: string; remote?: string }).filter((e) => e.event === 'connection' && e.remote === POD);
  t.is(fromPod(w.imds.lines.slice(0, w.imdsCutoff)).length, 1, 'the recorder did see the pod before (the lab check)');
  t.deepEqual(fromPod(w.imds.lines.slice(w.imdsCutoff)), []);
  t.true(w.imds.lines.slice(w.imdsCutoff).some((l) => l.includes(SERVER_A)), 'it did see the excluded server pods');
});

serial('cleanup removes every rule and chain of ours and nothing else', async (t) => {
  const cleanup = () => w.lab.exec(w.ns.node, [process.execPath, MAIN, 'cleanup'], { env: { ...CLIENT_ENV, HOME: w.tmp } });
  t.regex(w.pristine, /^-A FORWARD -j FOREIGN-FWD$/m);
  t.regex(w.pristine, /^-A PREROUTING -d 192\.0\.2\.2\/32 -p tcp -j DNAT --to-destination 10\.200\.2\.2:8181$/m);
  const first = await cleanup();
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, /"jumpsRemoved":3,"chainsRemoved":[4-9]/);
  t.is(await save(), w.pristine, 'the foreign rules and chain are there, exactly as before ip2service');
  const again = await cleanup();
  t.is(again.code, 0, again.stderr);
  t.regex(again.stdout, /nothing to clean up/);
});
