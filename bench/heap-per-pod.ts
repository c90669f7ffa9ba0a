/**
 * Heap per tracked pod: loads pods into the Kubernetes API server emulator, lists them through the server's own
 * pod reflector (the real HTTP list, paged) into a PodIndex, and prints the growth of the V8 heap divided by the
 * number of pods. A benchmark, not a test: run `npm run bench:heap` (or add `-- --pods 20000`).
 *
 * The emulator lives in this process, but every pod is created before the baseline is taken, so what is measured is
 * what the index keeps (records, maps, interned strings) plus the reflector's small fixed cost.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { Reflector, createLogger, systemClock } from '@iam4kube/shared';
import { createKubeListWatcher } from '@iam4kube/shared/kube';
import { startKubeApiEmulator, type KubeApiEmulator } from '@iam4kube/testkit';
import { PodIndex } from '../packages/server/src/kube/pod-index.js';
import { POD_FIELD_SELECTOR } from '../packages/server/src/kube/pod-record.js';

const BUDGET_BYTES = 400;

const { values } = parseArgs({
  options: {
    pods: { type: 'string', default: '100000' },
    namespaces: { type: 'string', default: '500' },
    nodes: { type: 'string', default: '5000' },
    'dual-stack-every': { type: 'string', default: '10' },
  },
});
const podCount = Number(values.pods);
const namespaceCount = Number(values.namespaces);
const nodeCount = Number(values.nodes);
const dualStackEvery = Number(values['dual-stack-every']);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with --expose-gc (npm run bench:heap does)');
  process.exit(2);
}

function heapUsed(): number {
  for (let i = 0; i < 4; i++) gc!();
  return process.memoryUsage().heapUsed;
}

function nodeName(i: number): string {
  return `ip-10-0-${(i >> 8) & 255}-${i & 255}.eu-west-1.compute.internal`;
}

function podIp(i: number): string {
  const n = 0x0a000000 + 0x10000 + i;
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Pods shaped like a Deployment's: labels, a container with env and resources, volumes, owner reference. */
function populate(api: KubeApiEmulator): void {
  for (let n = 0; n < namespaceCount; n++) {
    api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `team-${n}` } });
    for (let s = 0; s < 4; s++) api.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: `service-${s}`, namespace: `team-${n}` } });
  }
  for (let i = 0; i < podCount; i++) {
    const namespace = `team-${i % namespaceCount}`;
    const app = `service-${i % 4}`;
    const name = `${app}-${randomUUID().slice(0, 10)}-${randomUUID().slice(0, 5)}`;
    api.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace,
        labels: { app, 'pod-template-hash': name.slice(-16, -6) },
        annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: name.slice(0, -6), uid: randomUUID(), controller: true }],
      },
      spec: {
        serviceAccountName: app,
        nodeName: nodeName(i % nodeCount),
        containers: [
          {
            name: 'main',
            image: `registry.example.com/${app}:1.2.3`,
            env: [{ name: 'AWS_REGION', value: 'eu-west-1' }],
            resources: { requests: { cpu: '100m', memory: '128Mi' } },
          },
        ],
        volumes: [{ name: 'config', configMap: { name: `${app}-config` } }],
      },
    });
    const ip = podIp(i);
    const podIPs = i % dualStackEvery === 0 ? [{ ip }, { ip: `fd00::${i.toString(16)}` }] : [{ ip }];
    api.patchStatus('pods', namespace, name, { phase: 'Running', podIP: ip, podIPs, hostIP: '10.0.0.1', startTime: '2026-01-01T00:00:00Z' });
  }
}

const started = Date.now();
// A small history: the emulator keeps no event of the 200,000 writes beyond it (its memory is not what we measure).
const api = await startKubeApiEmulator({ historyWindow: 100, bookmarkIntervalMs: 0 });
populate(api);
console.log(`created ${podCount} pods in ${namespaceCount} namespaces on ${nodeCount} nodes (${Date.now() - started} ms)`);

const kubeConfig = new KubeConfig();
kubeConfig.loadFromString(api.kubeconfig());
// BENCH_LOG=debug shows the reflector's log on stderr.
const level = (process.env['BENCH_LOG'] ?? 'silent') as 'silent';
const logger = createLogger({ level, stream: new Writable({ write: (chunk, _e, done) => (process.stderr.write(chunk), done()) }) });
const source = createKubeListWatcher(kubeConfig, { path: '/api/v1/pods', fieldSelector: POD_FIELD_SELECTOR, pageSize: 500 });

const before = heapUsed();
const pods = new PodIndex({ ipChanged: () => {} });
const reflector = new Reflector({ name: 'pods', source, sink: pods, clock: systemClock, logger });
const listStarted = Date.now();
reflector.start();
await reflector.whenSynced();
const listMs = Date.now() - listStarted;
await reflector.stop();
const after = heapUsed();

const perPod = (after - before) / pods.size;
console.log(`listed ${pods.size} pods into the index in ${listMs} ms`);
console.log(`heap: ${(before / 2 ** 20).toFixed(1)} MiB before, ${(after / 2 ** 20).toFixed(1)} MiB after`);
console.log(`heap per pod: ${perPod.toFixed(0)} B (budget ${BUDGET_BYTES} B): ${perPod <= BUDGET_BYTES ? 'within budget' : 'OVER BUDGET'}`);
await api.close();
// Keeps the index alive until after the measurement.
if (pods.lookup(podIp(0)).kind !== 'pod') throw new Error('the index lost pod 0');
process.exitCode = perPod <= BUDGET_BYTES ? 0 : 1;
