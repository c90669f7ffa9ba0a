import test from 'ava';
import { Writable } from 'node:stream';

import { KubeConfig } from '@kubernetes/client-node';

import { startKubeApiEmulator, type KubeApiEmulator } from '@iam4kube/testkit';
import { startIp2service } from '../src/app.js';
import { endpointChainName } from '../src/chains.js';
import { parseIp2serviceArgs, type Ip2serviceConfig } from '../src/config.js';
import type { Exec } from '../src/exec.js';
import { FakeIptables } from './fake-iptables.js';
import { fakeIptablesExec } from './fake-iptables-exec.js';

/**
 * The agent's wiring against the Kubernetes API emulator and an in-memory iptables behind the real CLI adapter: no
 * root needed. The real kernel is exercised by test/e2e/ip2service-netns.test.ts.
 */

type LogLine = Record<string, unknown> & { msg?: string };

/** The agent's JSON log, parsed; waitFor resolves on the first line (past or future) that matches. */
class LogTap extends Writable {
  readonly lines: LogLine[] = [];
  #waiters: Array<{ match: (l: LogLine) => boolean; from: number; resolve: (l: LogLine) => void }> = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    for (const text of chunk.toString().split('\n').filter(Boolean)) {
      const line = JSON.parse(text) as LogLine;
      this.lines.push(line);
      this.#waiters = this.#waiters.filter((w) => !(w.match(line) && (w.resolve(line), true)));
    }
    done();
  }

  /** Waits for a matching line logged at index `from` or later. */
  waitFor(match: (l: LogLine) => boolean, from = 0): Promise<LogLine> {
    const seen = this.lines.slice(from).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ match, from, resolve }));
  }
}

const KEY = 'iam4kube.io/agent-not-ready';

function endpointSlice(ips: string[]) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'iam4kube-server-x1', namespace: 'iam4kube', labels: { 'kubernetes.io/service-name': 'iam4kube-server' } },
    addressType: 'IPv4',
    ports: [{ name: 'metadata', port: 8181, protocol: 'TCP' }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
  };
}

interface Harness {
  readonly emulator: KubeApiEmulator;
  readonly fake: FakeIptables;
  readonly exec: Exec;
  readonly conntrackCalls: string[][];
  readonly kubeConfig: KubeConfig;
  readonly config: Ip2serviceConfig;
}

async function harness(argv: string[]): Promise<Harness> {
  const emulator = await startKubeApiEmulator({ namespaces: ['default', 'iam4kube'] });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(emulator.kubeconfig());
  const fake = new FakeIptables();
  // Someone else's rule, as kube-proxy leaves a node.
  fake.run('nat', '-N KUBE-SERVICES');
  fake.run('nat', '-A PREROUTING -j KUBE-SERVICES');
  const iptablesExec = fakeIptablesExec(fake, 'iptables-nft');
  const conntrackCalls: string[][] = [];
  const exec: Exec = async (file, args, options) => {
    if (file !== 'conntrack') return iptablesExec(file, args, options);
    conntrackCalls.push([file, ...args]);
    return { code: 1, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n' };
  };
  const parsed = parseIp2serviceArgs(['--aux-host=127.0.0.1', '--aux-port=0', '--min-sync-interval=0s', '--log-level=debug', ...argv], {});
  if (parsed.kind !== 'run') throw new Error('unexpected --help');
  return { emulator, fake, exec, conntrackCalls, kubeConfig, config: parsed.config };
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.text() };
}

test('syncs from the EndpointSlices, follows changes, retries a failed apply, serves probes and metrics, leaves the rules on stop', async (t) => {
  const h = await harness(['--node-name=n1', `--remove-taint=${KEY}`]);
  t.teardown(() => h.emulator.close());
  h.emulator.create(endpointSlice(['10.0.0.2', '10.0.0.1']));
  h.emulator.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: { taints: [{ key: 'other', effect: 'NoSchedule' }, { key: KEY, effect: 'NoSchedule' }] } });
  const logs = new LogTap();
  const agent = await startIp2service(h.config, { exec: h.exec, kubeConfig: h.kubeConfig, logStream: logs });
  let stopped = false;
  t.teardown(async () => {
    if (!stopped) await agent.stop();
  });
  t.is(agent.iptablesMode, 'nft', 'no rules in either backend: nft');

  const first = await logs.waitFor((l) => l.msg === 'rules synced');
  t.like(first, { reason: 'start', backends: 2, jumpsRepaired: 3 });
  t.true(agent.ready());
  t.deepEqual(
    (await h.fake.listRules('nat', 'IP2SVC-PREROUTING')).map((r) => r.at(-1)),
    ['10.0.0.1', '10.0.0.2'].map((ip) => endpointChainName('IPv4', { ip, port: 8181 })),
    '10.0.0.1 then 10.0.0.2',
  );
  t.is((await h.fake.listRules('nat', 'PREROUTING'))[1]?.at(-1), 'KUBE-SERVICES', 'the other rule is kept, after ours');

  // After the first sync: conntrack flushed, the taint removed (and only it).
  await logs.waitFor((l) => l.msg === 'no conntrack entry to the metadata address to flush');
  t.deepEqual(h.conntrackCalls, [['conntrack', '-D', '-d', '169.254.169.254', '-p', 'tcp', '--dport', '80']]);
  await logs.waitFor((l) => l.msg === 'taint removed from the node: pods may be scheduled here now');
  t.deepEqual(h.emulator.get<{ spec: { taints: unknown[] } } & Parameters<KubeApiEmulator['create']>[0]>('nodes', '', 'n1')?.spec.taints, [{ key: 'other', effect: 'NoSchedule' }]);

  // A change in the API server reaches the rules through the watch.
  let mark = logs.lines.length;
  h.emulator.update({ ...endpointSlice(['10.0.0.1']), metadata: { ...endpointSlice([]).metadata } });
  t.like(await logs.waitFor((l) => l.msg === 'rules synced' && l['backends'] === 1, mark), { reason: 'request', staleChainsDeleted: 1 });

  // A failed apply is logged with the offending lines, counted, and retried after the backoff.
  h.fake.failNextRestore('iptables-restore: line 3 failed: something odd\n');
  mark = logs.lines.length;
  h.emulator.update({ ...endpointSlice([]), metadata: { ...endpointSlice([]).metadata } });
  const failure = await logs.waitFor((l) => l.msg?.startsWith('sync failed') === true, mark);
  t.like(failure, { level: 'error', reason: 'request', consecutiveFailures: 1, retryInMs: 1000, exitCode: 1 });
  t.regex((failure['lines'] as string[]).join('\n'), />\s+3 {2}/);
  const retried = await logs.waitFor((l) => l.msg?.startsWith('rules synced') === true, logs.lines.indexOf(failure));
  t.like(retried, { reason: 'retry', backends: 0, level: 'warn' });
  t.deepEqual((await h.fake.listRules('nat', 'IP2SVC-PREROUTING')).map((r) => r.at(-1)), ['ACCEPT'], 'no backend: nothing redirected (nor by later rules), the filter chain rejects');

  const base = `http://127.0.0.1:${agent.auxAddress.port}`;
  t.is((await get(`${base}/readyz`)).status, 200);
  t.is((await get(`${base}/healthz`)).status, 200);
  const metrics = (await get(`${base}/metrics`)).body;
  t.regex(metrics, /^iam4kube_ip2service_syncs_total\{outcome="error"\} 1$/m);
  t.regex(metrics, /^iam4kube_ip2service_syncs_total\{outcome="success"\} [3-9]$/m);
  t.regex(metrics, /^iam4kube_ip2service_backends 0$/m);
  t.regex(metrics, /^iam4kube_ip2service_jumps_repaired_total 0$/m);
  t.regex(metrics, /^iam4kube_ip2service_seconds_since_last_sync [0-9.e-]+$/m);
  t.regex(metrics, /^iam4kube_ip2service_sync_duration_seconds_count [4-9]$/m);

  // Someone flushes the nat table: the next resync (or any sync) puts the jump back and counts it.
  await h.fake.restore('*nat\n:KUBE-SERVICES - [0:0]\nCOMMIT\n', { noflush: true });
  await h.fake.deleteRule('nat', 'PREROUTING', (await h.fake.listRules('nat', 'PREROUTING'))[0]!);
  mark = logs.lines.length;
  h.emulator.update({ ...endpointSlice(['10.0.0.3']), metadata: { ...endpointSlice([]).metadata } });
  t.like(await logs.waitFor((l) => l.msg?.startsWith('rules synced') === true, mark), { jumpsRepaired: 1, backends: 1, level: 'warn' });
  t.regex((await get(`${base}/metrics`)).body, /^iam4kube_ip2service_jumps_repaired_total 1$/m);

  await agent.stop();
  stopped = true;
  t.true((await h.fake.listChains('nat')).includes('IP2SVC-PREROUTING'), 'rules left in place');
  t.is((await h.fake.listRules('nat', 'PREROUTING'))[0]?.at(-1), 'IP2SVC-PREROUTING');
  t.true(logs.lines.some((l) => l.msg?.startsWith('stopped; iptables rules left in place') === true));
});

test('with no EndpointSlice at all the first sync rejects everything; server pods are excluded only when asked', async (t) => {
  for (const exclude of [false, true]) {
    const h = await harness(exclude ? ['--exclude-server-pods'] : []);
    const logs = new LogTap();
    const agent = await startIp2service(h.config, { exec: h.exec, kubeConfig: h.kubeConfig, logStream: logs });
    t.like(await logs.waitFor((l) => l.msg?.startsWith('rules synced') === true), { backends: 0, level: 'warn' });
    const mark = logs.lines.length;
    // Not ready, but serving (terminating): still a server pod whose own traffic is excluded, and a backend.
    const slice = endpointSlice([]);
    h.emulator.create({ ...slice, endpoints: [{ addresses: ['10.0.0.7'], conditions: { ready: false, serving: true, terminating: true } }] });
    await logs.waitFor((l) => l.msg === 'rules synced' && l['backends'] === 1, mark);
    const filter = await h.fake.listRules('filter', 'IP2SVC-FILTER');
    const excluded = filter.filter((rule) => rule.includes('-s') && rule.includes('10.0.0.7/32'));
    t.is(excluded.length, exclude ? 1 : 0, `exclude=${exclude}`);
    await agent.stop();
    await h.emulator.close();
  }
});
