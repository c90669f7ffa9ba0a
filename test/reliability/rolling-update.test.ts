import test from 'ava';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKubeApiEmulator, startStsEmulator, type KubeApiEmulator, type StsEmulator } from '../../packages/testkit/src/index.js';
import { peerArgv, type NetnsProcess } from '../../packages/testkit/src/netns/netns-process.js';
import { NetnsLab, bridgeUnixSocketToTcp, netnsUnsupportedReason } from '../../packages/testkit/src/netns/netns.js';
import { ACCOUNT, LONG, ROLE_ANNOTATION, roleArn } from './support/stack.js';

/**
 * A rolling update of the server under load, through ip2service, in network namespaces made for this test:
 *
 *   pod-1..3 (10.201.k.2) ──► node (ip_forward, ip2service) ──► server slots 1..4 (10.202.k.2:8181)
 *
 * Two replicas serve; each pod runs an SDK-like client (IMDSv2 token, keep-alive, no retries) against
 * 169.254.169.254. Each replica is replaced in turn as a Deployment would: start the new one, wait until it is ready,
 * add it to the EndpointSlice; then SIGTERM the old one while the slice marks it terminating. Every request is
 * counted: failed must be 0, and so must wrong (another pod's role, or a non-credential answer).
 */

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const SERVER_MAIN = join(repoRoot, 'packages/server/dist/src/main.js');
const AGENT_MAIN = join(repoRoot, 'packages/ip2service/dist/src/main.js');
const CLIENT = fileURLToPath(new URL('./support/imds-client.ts', import.meta.url));
const TSX = createRequire(import.meta.url).resolve('tsx');
const PODS = 3;
const SLOTS = 4;
const ROUNDS = LONG ? 5 : 1;
const SETTLE_MS = LONG ? 5000 : 2000;
const ENV = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };

const unsupported = netnsUnsupportedReason(['iptables', 'iptables-save', 'curl']);
const serial = unsupported === undefined ? test.serial : test.serial.skip;

const podIp = (k: number): string => `10.201.${k}.2`;
const serverIp = (k: number): string => `10.202.${k}.2`;

interface Final {
  sent: number;
  ok: number;
  failed: number;
  wrong: number;
  errors: Record<string, number>;
  examples: string[];
}

function slice(endpoints: ReadonlyArray<{ ip: string; terminating: boolean }>) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'iam4kube-server-abcde', namespace: 'iam4kube', labels: { 'kubernetes.io/service-name': 'iam4kube-server' } },
    addressType: 'IPv4',
    ports: [{ name: 'metadata', port: 8181, protocol: 'TCP' }],
    endpoints: endpoints.map((e) => ({ addresses: [e.ip], conditions: { ready: !e.terminating, serving: true, terminating: e.terminating } })),
  };
}

function json(line: string): Record<string, any> | undefined {
  try {
    return JSON.parse(line) as Record<string, any>;
  } catch {
    return undefined;
  }
}

serial(`rolling update under load through ip2service: ${ROUNDS} round(s) of replacing both replicas, 0 failed requests`, async (t) => {
  t.timeout(LONG ? 900_000 : 180_000);
  for (const main of [SERVER_MAIN, AGENT_MAIN]) if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx tsc -b)`);
  const lab = new NetnsLab('i4k-roll');
  const tmp = mkdtempSync(join(tmpdir(), 'i4k-roll-'));
  let kube: KubeApiEmulator | undefined;
  let sts: StsEmulator | undefined;
  const bridges: Array<{ close(): Promise<void> }> = [];
  try {
    // The network.
    const node = await lab.add('node');
    const pods: string[] = [];
    const slots: string[] = [];
    for (let k = 1; k <= PODS; k++) {
      const ns = await lab.add(`pod-${k}`);
      await lab.link({ ns: node, ifname: `to-pod-${k}`, address: `10.201.${k}.1/24` }, { ns, ifname: 'eth0', address: `${podIp(k)}/24` });
      await lab.ip(['-n', ns, 'route', 'add', 'default', 'via', `10.201.${k}.1`]);
      pods.push(ns);
    }
    for (let k = 1; k <= SLOTS; k++) {
      const ns = await lab.add(`srv-${k}`);
      await lab.link({ ns: node, ifname: `to-srv-${k}`, address: `10.202.${k}.1/24` }, { ns, ifname: 'eth0', address: `${serverIp(k)}/24` });
      await lab.ip(['-n', ns, 'route', 'add', 'default', 'via', `10.202.${k}.1`]);
      slots.push(ns);
    }
    await lab.run(node, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);

    // The cluster, STS, and relays that let the node and the servers reach them (unix sockets cross namespaces).
    kube = await startKubeApiEmulator({ namespaces: ['default', 'iam4kube', 'apps'] });
    const base = { accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64') };
    sts = await startStsEmulator({ accountId: ACCOUNT, baseCredentials: [{ ...base, arn: `arn:aws:iam::${ACCOUNT}:user/iam4kube-server` }] });
    for (let k = 1; k <= PODS; k++) {
      kube.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: `app-${k}`, namespace: 'apps', annotations: { [ROLE_ANNOTATION]: roleArn(`role-${k}`) } } });
      kube.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `app-${k}`, namespace: 'apps' }, spec: { serviceAccountName: `app-${k}`, nodeName: 'node-1', containers: [{ name: 'main', image: 'app:1' }] } });
      kube.patchStatus('pods', 'apps', `app-${k}`, { phase: 'Running', podIP: podIp(k), podIPs: [{ ip: podIp(k) }] });
    }
    kube.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } });
    const kubePort = Number(new URL(kube.url).port);
    const kubeSocket = join(tmp, 'kube.sock');
    const stsSocket = join(tmp, 'sts.sock');
    bridges.push(await bridgeUnixSocketToTcp(kubeSocket, kubePort), await bridgeUnixSocketToTcp(stsSocket, sts.port));
    const listening = (p: NetnsProcess) => p.waitForLine((l) => l.includes('"listening"'));
    for (const ns of [node, ...slots]) await listening(lab.spawn(ns, peerArgv('forward', ['127.0.0.1', String(kubePort), kubeSocket]), { name: `kube relay in ${ns}` }));
    for (const ns of slots) await listening(lab.spawn(ns, peerArgv('forward', ['127.0.0.1', String(sts.port), stsSocket]), { name: `sts relay in ${ns}` }));
    const kubeconfig = join(tmp, 'kubeconfig');
    await kube.writeKubeconfig(kubeconfig);
    const tokenKey = join(tmp, 'token.key');
    writeFileSync(tokenKey, randomBytes(32), { mode: 0o600 });

    // Replicas.
    const replicas = new Map<number, NetnsProcess>();
    const exits: Array<{ slot: number; code: number | null; signal: string | null }> = [];
    const stopping = new Set<number>();
    const crashed: string[] = [];
    const startReplica = async (k: number): Promise<void> => {
      const p = lab.spawn(
        slots[k - 1]!,
        [
          process.execPath,
          SERVER_MAIN,
          `--kubeconfig=${kubeconfig}`,
          '--metadata-host=0.0.0.0',
          '--metadata-port=8181',
          '--aux-host=127.0.0.1',
          '--aux-port=9191',
          `--sts-endpoint=http://127.0.0.1:${sts!.port}`,
          `--token-key-file=${tokenKey}`,
          '--shutdown-delay=3s',
          '--log-level=info',
        ],
        {
          name: `server in slot ${k}`,
          env: { ...ENV, AWS_ACCESS_KEY_ID: base.accessKeyId, AWS_SECRET_ACCESS_KEY: base.secretAccessKey, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        },
      );
      replicas.set(k, p);
      void p.exited.then((e) => {
        if (!stopping.has(k)) crashed.push(`slot ${k}: exited ${e.code ?? e.signal} unasked: ${p.stderr.slice(-300)}`);
      });
      // Readiness, as the kubelet probes it (a bounded poll against another process).
      const deadline = Date.now() + 30_000;
      for (;;) {
        const r = await lab.exec(slots[k - 1]!, ['curl', '-s', '--noproxy', '*', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:9191/readyz'], { env: ENV });
        if (r.stdout === '200') return;
        if (Date.now() > deadline) throw new Error(`replica ${k} not ready: ${p.stderr.slice(-500)} ${p.lines.slice(-5).join('\n')}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    // ip2service.
    const endpoints = new Map<number, boolean>(); // slot → terminating
    const agent = lab.spawn(node, [process.execPath, AGENT_MAIN, `--kubeconfig=${kubeconfig}`, '--aux-host=127.0.0.1', '--aux-port=9192', '--min-sync-interval=100ms', '--resync-period=2s', '--node-name=node-1', '--log-level=debug'], {
      name: 'ip2service',
      env: { ...ENV, HOME: tmp },
    });
    const publish = async (): Promise<void> => {
      const from = agent.lines.length;
      const list = [...endpoints].map(([k, terminating]) => ({ ip: serverIp(k), terminating }));
      const ready = list.filter((e) => !e.terminating).length;
      const current = kube!.get('endpointslices', 'iam4kube', 'iam4kube-server-abcde');
      if (current) kube!.update({ ...slice(list), metadata: { ...slice(list).metadata, resourceVersion: current.metadata?.resourceVersion } });
      else kube!.create(slice(list));
      await agent.waitForLine((l) => {
        const e = json(l);
        return e !== undefined && String(e.msg).startsWith('rules synced') && e.backends === ready;
      }, { from, timeoutMs: 10_000 });
    };

    let live = [1, 2];
    await Promise.all(live.map(startReplica));
    for (const k of live) endpoints.set(k, false);
    await publish();

    // Load.
    const clients = pods.map((ns, i) =>
      lab.spawn(ns, [process.execPath, '--import', TSX, CLIENT, 'http://169.254.169.254', `role-${i + 1}`, '2'], { name: `client in pod ${i + 1}`, env: ENV }),
    );
    await Promise.all(clients.map((c) => c.waitForLine((l) => (json(l)?.ok ?? 0) > 0, { timeoutMs: 15_000 })));
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

    // The rolling update: replace each replica in turn.
    const steps: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const old of [...live]) {
        const fresh = [1, 2, 3, 4].find((k) => !live.includes(k) && !replicas.has(k))!;
        const began = performance.now();
        await startReplica(fresh);
        endpoints.set(fresh, false);
        await publish();
        // SIGTERM and the endpoint update at the same moment, as the kubelet and the EndpointSlice controller act.
        stopping.add(old);
        const exited = replicas.get(old)!.stop('SIGTERM', 20_000);
        endpoints.set(old, true);
        await publish();
        const exit = await exited;
        exits.push({ slot: old, code: exit.code, signal: exit.signal });
        replicas.delete(old);
        stopping.delete(old);
        endpoints.delete(old);
        await publish();
        live = [...live.filter((k) => k !== old), fresh];
        steps.push(`slot ${old} → slot ${fresh} in ${Math.round(performance.now() - began)} ms (old exited ${exit.code})`);
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      }
    }

    // Results.
    const finals: Final[] = [];
    for (const c of clients) {
      const from = c.lines.length;
      const waiting = c.waitForLine((l) => json(l)?.event === 'final', { from, timeoutMs: 15_000 });
      await c.stop('SIGTERM', 15_000);
      finals.push(json(await waiting) as unknown as Final);
    }
    const total = finals.reduce((a, f) => ({ sent: a.sent + f.sent, ok: a.ok + f.ok, failed: a.failed + f.failed, wrong: a.wrong + f.wrong }), { sent: 0, ok: 0, failed: 0, wrong: 0 });
    const crashes = exits.filter((e) => e.code !== 0).length + crashed.length;
    t.log(`rolling update: ${steps.join('; ')}`);
    t.log(`requests sent ${total.sent}, ok ${total.ok}, failed ${total.failed}, wrong ${total.wrong}, crashes ${crashes} (${PODS} pods × 2 keep-alive connections, IMDSv2)`);
    for (const [i, f] of finals.entries()) if (f.failed + f.wrong > 0) t.log(`pod ${i + 1}: ${JSON.stringify(f.errors)} ${f.examples.join(' | ')}`);
    t.is(total.failed, 0, 'no failed request');
    t.is(total.wrong, 0, 'no wrong answer');
    t.deepEqual(crashed, [], 'no replica exited unasked');
    t.deepEqual(exits.map((e) => e.code), Array(exits.length).fill(0), 'old replicas exit 0 after SIGTERM');
    t.true(finals.every((f) => f.ok > 100), 'every pod kept asking');
  } finally {
    await lab.destroy().catch((err: unknown) => t.log(String(err)));
    for (const b of bridges) await b.close();
    await sts?.close();
    await kube?.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});

if (unsupported !== undefined) test.serial.skip(`rolling update through ip2service: ${unsupported}`, () => {});
