/**
 * Benchmark 5, event-to-answer latency: a request from a pod the server has not seen yet waits (event-driven); how
 * long after the watch event that makes it known (the kubelet reporting the pod Running with its IP) does the
 * answer arrive? Measured from just before the emulator writes the event to the end of the response, with the real
 * server binary. Side by side: an ordinary request from a known pod, timed the same way.
 */
import { Agent, request } from 'node:http';
import { addNamespace, addServiceAccount, loopbackIp, reportRunning, addRunningPod } from './cluster-seed.js';
import { startBenchStack } from './bench-stack.js';
import { summarize, type Summary } from './stats.js';

export interface EventLatencyOptions {
  readonly samples: number;
  readonly cpus: { readonly server: number | undefined; readonly load: number | undefined };
  readonly log: (line: string) => void;
}

export interface EventLatencyReport {
  readonly samples: number;
  readonly eventToAnswerMs: Summary;
  readonly knownPodRequestMs: Summary;
  readonly failures: number;
}

const ROLE = 'event-role';
const PATH = `/latest/meta-data/iam/security-credentials/${ROLE}`;
/** How long a request sits in the server before the event is sent (it would wait up to --wait-timeout). */
const PARKED_MS = 30;

export async function benchEventLatency(o: EventLatencyOptions): Promise<EventLatencyReport> {
  const stack = await startBenchStack({
    cpu: o.cpus.server,
    seed: (kube) => {
      addNamespace(kube, 'bench');
      addServiceAccount(kube, 'bench', 'app', ROLE);
      addRunningPod(kube, { namespace: 'bench', name: 'known', serviceAccount: 'app', ip: '127.0.0.1' });
    },
  });
  const agent = new Agent({ keepAlive: false });
  try {
    const url = `${stack.metadataUrl}${PATH}`;
    const waited: number[] = [];
    const known: number[] = [];
    let failures = 0;
    for (let i = 1; i <= o.samples; i++) {
      const ip = loopbackIp(1, i);
      const name = `late-${i}`;
      // The pod exists but has no IP yet (scheduled, sandbox starting): the server cannot know the caller.
      stack.kube.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'bench' }, spec: { serviceAccountName: 'app', nodeName: 'node-1', containers: [{ name: 'main', image: 'app:1' }] } });
      const answer = get(url, agent, ip);
      await new Promise((resolve) => setTimeout(resolve, PARKED_MS));
      const eventAt = performance.now();
      reportRunning(stack.kube, 'bench', name, ip);
      const r = await answer;
      if (r.status === 200 && r.at > eventAt) waited.push(r.at - eventAt);
      else failures++;
      const before = performance.now();
      const k = await get(url, agent, '127.0.0.1');
      if (k.status === 200) known.push(k.at - before);
      else failures++;
    }
    const report = { samples: o.samples, eventToAnswerMs: summarize(waited), knownPodRequestMs: summarize(known), failures };
    o.log(`event to answer: p50 ${report.eventToAnswerMs.p50.toFixed(2)} ms, p99 ${report.eventToAnswerMs.p99.toFixed(2)} ms, max ${report.eventToAnswerMs.max.toFixed(2)} ms ` +
      `(a known pod's request, same client: p50 ${report.knownPodRequestMs.p50.toFixed(2)} ms, p99 ${report.knownPodRequestMs.p99.toFixed(2)} ms); failures ${failures}`);
    return report;
  } finally {
    agent.destroy();
    await stack.stop();
  }
}

function get(url: string, agent: Agent, localAddress: string): Promise<{ status: number; at: number }> {
  return new Promise((resolve) => {
    const req = request(url, { agent, localAddress }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, at: performance.now() }));
    });
    req.on('error', () => resolve({ status: 0, at: performance.now() }));
    req.end();
  });
}
