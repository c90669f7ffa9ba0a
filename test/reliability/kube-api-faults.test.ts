import test from 'ava';
import { Agent } from 'node:http';
import type { KubeApiEmulator } from '../../packages/testkit/src/index.js';
import { startReliabilityStack, LONG, ROLE_ANNOTATION, roleArn, type ReliabilityStack } from './support/stack.js';
import { GroundTruth, type PodTruth } from './support/ground-truth.js';
import { httpGet } from './support/http-get.js';

/**
 * Kubernetes API faults during churn: pods replaced with their IPs reused at once, ServiceAccounts re-annotated,
 * while the API server drops every watch (abruptly and cleanly), forgets its history (the server's next watch gets
 * 410 Gone and must relist) and restarts (a TCP proxy in front of the emulator cuts every connection and refuses new
 * ones for a while; no writes happen meanwhile, as none can through a down API server). Every answer is checked
 * against the ground truth during the whole run; at the end the server's view must match the emulator's.
 */

const NS = 'churn';
const SLOTS = LONG ? 48 : 16;
const SERVICE_ACCOUNTS = 6;
const RUN_MS = LONG ? 180_000 : 20_000;
const FAULT_EVERY_MS = 2500;
const RESTART_DOWN_MS = 1500;
const REUSE_DELAY_MS = 100;
const LIST = '/latest/meta-data/iam/security-credentials/';

/** A pod as the test knows it, with when it was reported Running. */
interface LivePod extends PodTruth {
  liveAt: number;
}

interface Slot {
  readonly ip: string;
  pod: LivePod | undefined;
  /** The request in flight, if any: a pod's IP is given to another only once its container has stopped. */
  inflight: Promise<unknown> | undefined;
}

interface Figures {
  sent: number;
  ok: number;
  failed: number;
  wrong: number;
  /** Answers naming the role the pod's ServiceAccount had before a re-annotation, after it changed. */
  stale: number;
  maxStaleMs: number;
  failures: Record<string, number>;
  wrongExamples: string[];
  podsReplaced: number;
  reannotations: number;
  faults: Record<string, number>;
}

function newPod(kube: KubeApiEmulator, ip: string, serial: number): LivePod {
  const pod = { name: `pod-${serial}`, ip, serviceAccount: `sa-${serial % SERVICE_ACCOUNTS}`, liveAt: 0 };
  kube.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.name, namespace: NS }, spec: { serviceAccountName: pod.serviceAccount, nodeName: 'node-1', containers: [{ name: 'main', image: 'app:1' }] } });
  kube.patchStatus('pods', NS, pod.name, { phase: 'Running', podIP: ip, podIPs: [{ ip }] });
  pod.liveAt = performance.now();
  return pod;
}

test('Kubernetes API restarts, dropped watches and 410s during churn: no wrong role, caches converge', async (t) => {
  t.timeout(RUN_MS + 120_000);
  const truth = new GroundTruth();
  const slots: Slot[] = Array.from({ length: SLOTS }, (_, i) => ({ ip: `127.3.0.${i + 1}`, pod: undefined, inflight: undefined }));
  let serial = 0;
  const stack: ReliabilityStack = await startReliabilityStack({
    kubeProxy: true,
    // A small history, so that a compaction really makes resumed watches fail with 410.
    kube: { historyWindow: 200 },
    serverArgs: ['--wait-timeout=2s'],
    seed: (kube) => {
      kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
      for (let s = 0; s < SERVICE_ACCOUNTS; s++) {
        kube.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: `sa-${s}`, namespace: NS, annotations: { [ROLE_ANNOTATION]: roleArn(`role-${s}`) } } });
        truth.setRole(`sa-${s}`, `role-${s}`);
      }
      for (const slot of slots) slot.pod = newPod(kube, slot.ip, serial++);
    },
  });
  const { kube, kubeProxy } = stack;
  const f: Figures = { sent: 0, ok: 0, failed: 0, wrong: 0, stale: 0, maxStaleMs: 0, failures: {}, wrongExamples: [], podsReplaced: 0, reannotations: 0, faults: {} };
  let running = true;
  let apiDown = false;

  const client = async (slot: Slot): Promise<void> => {
    const agents = new Map<string, Agent>();
    while (running) {
      const pod = slot.pod;
      if (!pod) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        continue;
      }
      // Each pod has its own keep-alive connection, as an SDK in it would.
      let podAgent = agents.get(pod.name);
      if (!podAgent) agents.set(pod.name, (podAgent = new Agent({ keepAlive: true, maxSockets: 1 })));
      f.sent++;
      const request = httpGet(`${stack.metadataUrl}${LIST}`, { localAddress: slot.ip, agent: podAgent });
      slot.inflight = request;
      const answer = await request;
      slot.inflight = undefined;
      if (answer.status === 200) {
        const { verdict, lagMs } = truth.judge(pod, answer.body, answer.sentAt, answer.receivedAt);
        if (verdict === 'right') f.ok++;
        else if (verdict === 'stale') {
          f.stale++;
          f.maxStaleMs = Math.max(f.maxStaleMs, lagMs);
        } else {
          f.wrong++;
          if (f.wrongExamples.length < 5) f.wrongExamples.push(`${pod.name} (${pod.serviceAccount}, role now ${truth.roleNow(pod.serviceAccount)}) was told ${answer.body}, request sent ${Math.round(answer.sentAt - pod.liveAt)} ms after the pod was Running`);
        }
      } else {
        f.failed++;
        const key = answer.status === 0 ? `error ${answer.error}` : `HTTP ${answer.status}`;
        f.failures[key] = (f.failures[key] ?? 0) + 1;
      }
    }
    for (const a of agents.values()) a.destroy();
  };

  const churning = new Set<Promise<void>>();
  const churn = async (): Promise<void> => {
    while (running) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      if (apiDown || !running) continue;
      const slot = slots[Math.floor(Math.random() * slots.length)]!;
      if (Math.random() < 0.75 && slot.pod) {
        // IP reuse: the pod's containers stop (its client ends), the pod is deleted, and a new pod gets the IP
        // REUSE_DELAY_MS later (real CNIs take seconds to hand an address out again).
        const old = slot.pod;
        slot.pod = undefined;
        churning.add(
          (async () => {
            await slot.inflight;
            kube.delete('pods', NS, old.name);
            kube.finalizePod(NS, old.name);
            await new Promise((resolve) => setTimeout(resolve, REUSE_DELAY_MS));
            while (apiDown) await new Promise((resolve) => setTimeout(resolve, 50));
            slot.pod = newPod(kube, slot.ip, serial++);
            f.podsReplaced++;
          })(),
        );
      } else {
        const sa = `sa-${Math.floor(Math.random() * SERVICE_ACCOUNTS)}`;
        const role = `${truth.roleNow(sa).split('-v')[0]}-v${serial++}`;
        kube.patch('serviceaccounts', NS, sa, { metadata: { annotations: { [ROLE_ANNOTATION]: roleArn(role) } } });
        truth.setRole(sa, role);
        f.reannotations++;
      }
    }
    await Promise.all(churning);
  };

  const faults = async (): Promise<void> => {
    const kinds = ['drop watches', 'compact history (410)', 'API server restart', 'drop watches cleanly'] as const;
    for (let i = 0; running; i++) {
      for (let waited = 0; running && waited < FAULT_EVERY_MS; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
      if (!running) break;
      const kind = kinds[i % kinds.length]!;
      f.faults[kind] = (f.faults[kind] ?? 0) + 1;
      if (kind === 'drop watches') kube.faults.dropWatches();
      else if (kind === 'drop watches cleanly') kube.faults.dropWatches({ clean: true });
      else if (kind === 'compact history (410)') {
        kube.faults.compact();
        kube.faults.dropWatches();
      } else {
        apiDown = true;
        await kubeProxy!.down();
        await new Promise((resolve) => setTimeout(resolve, RESTART_DOWN_MS));
        await kubeProxy!.up();
        apiDown = false;
      }
    }
  };

  try {
    const started = performance.now();
    const work = Promise.all([...slots.map(client), churn(), faults()]);
    await new Promise((resolve) => setTimeout(resolve, RUN_MS));
    running = false;
    await work;
    const crashes = stack.server.child.exitCode === null ? 0 : 1;

    // Convergence: the server's view must come to match the emulator's; three IPs are left without a pod.
    for (const slot of slots.filter((s) => s.pod).slice(0, 3)) {
      kube.delete('pods', NS, slot.pod!.name);
      kube.finalizePod(NS, slot.pod!.name);
      slot.pod = undefined;
    }
    const convergeStarted = performance.now();
    let mismatches: string[] = [];
    do {
      const checks = await Promise.all(
        slots.map(async (slot) => {
          const answer = await httpGet(`${stack.metadataUrl}${LIST}`, { localAddress: slot.ip });
          const expected = slot.pod ? `200 ${truth.roleNow(slot.pod.serviceAccount)}` : '404';
          const got = answer.status === 200 ? `200 ${answer.body}` : String(answer.status);
          return got === expected ? undefined : `${slot.ip}: expected ${expected}, got ${got}`;
        }),
      );
      mismatches = checks.filter((m): m is string => m !== undefined);
    } while (mismatches.length > 0 && performance.now() - convergeStarted < 15_000);
    const convergeMs = performance.now() - convergeStarted;

    t.log(`run ${Math.round((performance.now() - started) / 1000)} s, ${SLOTS} pod IPs, ${f.podsReplaced} pods replaced (IP reused ${REUSE_DELAY_MS} ms after), ${f.reannotations} ServiceAccounts re-annotated`);
    t.log(`faults: ${JSON.stringify(f.faults)}`);
    t.log(`requests sent ${f.sent}, ok ${f.ok}, failed ${f.failed} ${JSON.stringify(f.failures)}, wrong ${f.wrong}, crashes ${crashes}; stale after a re-annotation ${f.stale} (at most ${Math.round(f.maxStaleMs)} ms after the change)`);
    t.log(`converged to the emulator's state in ${Math.round(convergeMs)} ms (${mismatches.length} mismatches left)`);
    if (f.wrongExamples.length > 0) t.log(`wrong answers, e.g.: ${f.wrongExamples.join('; ')}`);
    t.is(f.wrong, 0, 'no request answered with a role its pod does not have');
    t.is(crashes, 0);
    t.deepEqual(mismatches, [], 'caches converged to the emulator state');
    t.true(f.ok > f.sent / 2, 'the run did serve');
    t.true(Object.keys(f.faults).length === 4, 'every kind of fault was injected');
  } finally {
    running = false;
    await stack.stop();
  }
});
