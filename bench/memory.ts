/**
 * Benchmark 3: heap and RSS per tracked pod and per annotated ServiceAccount. Each scenario fills a fresh
 * Kubernetes API emulator (in this process), then starts the real server in a child process (memory-worker.ts)
 * that lists and watches it over HTTP, fetches every role's credentials from the STS emulator, and reports its
 * memory after garbage collection once ready. Per-item figures are differences between scenarios measured in the
 * same run, so the server's fixed cost cancels out.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { localServerArgs, localServerEnv, startKubeApiEmulator, startStsEmulator, type KubeApiEmulator } from '@iam4kube/testkit';
import { ACCOUNT, addNamespace, addRunningPod, addServiceAccount, podIp } from './cluster-seed.js';

export interface MemoryOptions {
  /** Pod counts, smallest first; each is measured with all the annotated ServiceAccounts present. */
  readonly pods: readonly number[];
  readonly serviceAccounts: number;
  readonly log: (line: string) => void;
}

export interface MemoryScenario {
  readonly name: string;
  readonly pods: number;
  readonly serviceAccounts: number;
  readonly annotated: boolean;
  readonly assumeRoleCalls: number;
  readonly heapUsed: number;
  readonly rss: number;
  readonly msToReady: number;
}

export interface MemoryReport {
  readonly scenarios: readonly MemoryScenario[];
  /** Bytes per pod whose ServiceAccount has no role (the pod index alone), at the smallest pod count. */
  readonly perPodNoRole: { readonly pods: number; readonly heap: number; readonly rss: number };
  /** Bytes per annotated ServiceAccount: its binding and its credentials entry (same pods, same ServiceAccounts). */
  readonly perAnnotatedServiceAccount: { readonly heap: number; readonly rss: number };
  /** Bytes per pod added beyond the smallest pod count, all ServiceAccounts annotated (no new roles). */
  readonly perPodMarginal: ReadonlyArray<{ readonly from: number; readonly to: number; readonly heap: number; readonly rss: number }>;
}

const SA_PER_NAMESPACE = 10;

export async function benchMemory(o: MemoryOptions): Promise<MemoryReport> {
  const scenarios: MemoryScenario[] = [];
  const run = async (name: string, pods: number, annotated: boolean): Promise<MemoryScenario> => {
    const s = await measure({ name, pods, serviceAccounts: o.serviceAccounts, annotated }, o.log);
    scenarios.push(s);
    return s;
  };
  const [first, ...more] = o.pods;
  if (first === undefined) throw new Error('no pod counts');
  const empty = await run('empty cluster', 0, false);
  const plain = await run(`${first} pods, ${o.serviceAccounts} ServiceAccounts without a role`, first, false);
  const annotated = await run(`${first} pods, ${o.serviceAccounts} annotated ServiceAccounts`, first, true);
  const perPodMarginal = [];
  for (const pods of more) {
    const s = await run(`${pods} pods, ${o.serviceAccounts} annotated ServiceAccounts`, pods, true);
    perPodMarginal.push({ from: first, to: pods, heap: (s.heapUsed - annotated.heapUsed) / (pods - first), rss: (s.rss - annotated.rss) / (pods - first) });
  }
  return {
    scenarios,
    perPodNoRole: { pods: first, heap: (plain.heapUsed - empty.heapUsed) / first, rss: (plain.rss - empty.rss) / first },
    perAnnotatedServiceAccount: { heap: (annotated.heapUsed - plain.heapUsed) / o.serviceAccounts, rss: (annotated.rss - plain.rss) / o.serviceAccounts },
    perPodMarginal,
  };
}

interface Population {
  readonly name: string;
  readonly pods: number;
  readonly serviceAccounts: number;
  /** Whether every ServiceAccount names a role of its own. */
  readonly annotated: boolean;
}

/** Pods spread evenly over the ServiceAccounts (so with as many pods as ServiceAccounts, every role is in use). */
function populate(kube: KubeApiEmulator, p: Population): void {
  if (p.pods === 0) return;
  const namespaces = Math.max(1, Math.ceil(p.serviceAccounts / SA_PER_NAMESPACE));
  for (let n = 0; n < namespaces; n++) addNamespace(kube, `team-${n}`);
  for (let i = 0; i < p.serviceAccounts; i++) {
    addServiceAccount(kube, `team-${Math.floor(i / SA_PER_NAMESPACE)}`, `service-${i % SA_PER_NAMESPACE}`, p.annotated ? `role-${i}` : undefined);
  }
  for (let i = 0; i < p.pods; i++) {
    const sa = i % p.serviceAccounts;
    const serviceAccount = `service-${sa % SA_PER_NAMESPACE}`;
    addRunningPod(kube, {
      namespace: `team-${Math.floor(sa / SA_PER_NAMESPACE)}`,
      name: `${serviceAccount}-${randomBytes(5).toString('hex')}-${i}`,
      serviceAccount,
      ip: podIp(i),
      node: `node-${i % 5000}`,
    });
  }
}

async function measure(p: Population, log: (line: string) => void): Promise<MemoryScenario> {
  const work = await mkdtemp(join(tmpdir(), 'iam4kube-bench-memory-'));
  // A small history: the emulator's own memory is not what we measure, and nothing resumes from old versions here.
  const kube = await startKubeApiEmulator({ bookmarkIntervalMs: 0, historyWindow: 1000, defaultServiceAccounts: false });
  const base = { accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64') };
  const sts = await startStsEmulator({ accountId: ACCOUNT, baseCredentials: [{ ...base, arn: `arn:aws:iam::${ACCOUNT}:user/iam4kube-server` }] });
  try {
    const filling = performance.now();
    populate(kube, p);
    const fillMs = performance.now() - filling;
    const kubeconfig = join(work, 'kubeconfig');
    await kube.writeKubeconfig(kubeconfig);
    const script = fileURLToPath(new URL('./memory-worker.ts', import.meta.url));
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const args = [...localServerArgs({ kubeconfig, stsEndpoint: sts.endpoint, logLevel: 'warn' }), '--sts-rate=1000', '--sts-burst=10000'];
    const child = spawn(process.execPath, ['--expose-gc', '--import', tsx, script, '--', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...localServerEnv(base) },
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (l) => {
        if (l.includes('"event":"measured"')) resolve(l);
      });
      child.once('exit', (code) => reject(new Error(`memory worker exited (${code}) before measuring`)));
    });
    await new Promise((resolve) => child.once('exit', resolve));
    const m = JSON.parse(line) as { heapUsed: number; rss: number; msToReady: number };
    const calls = sts.countCalls('AssumeRole');
    const s = { name: p.name, pods: p.pods, serviceAccounts: p.pods === 0 ? 0 : p.serviceAccounts, annotated: p.annotated, heapUsed: m.heapUsed, rss: m.rss, msToReady: m.msToReady, assumeRoleCalls: calls };
    log(`${p.name.padEnd(52)} heap ${(s.heapUsed / 2 ** 20).toFixed(1)} MiB, RSS ${(s.rss / 2 ** 20).toFixed(1)} MiB, ready in ${Math.round(s.msToReady)} ms (cluster filled in ${Math.round(fillMs)} ms; ${calls} AssumeRole calls)`);
    return s;
  } finally {
    await sts.close();
    await kube.close();
    await rm(work, { recursive: true, force: true });
  }
}
