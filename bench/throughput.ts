/**
 * Benchmarks 1 and 2: credential GET throughput and latency through the full production path (the real server
 * binary: identity lookup, metrics, logging at info) against a bare Node `http` server returning a prebuilt buffer
 * of the same size, side by side in the same run; then the same load while STS answers in 10 s and while 1,000
 * ServiceAccounts are re-annotated (their credentials fetched anew).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { addNamespace, addRunningPod, addServiceAccount, annotateServiceAccount, podIp } from './cluster-seed.js';
import { pinProcess, startBenchStack, type BenchStack } from './bench-stack.js';
import { runLoad, type LoadResult, type LoadTool } from './load-generator.js';

export interface ThroughputOptions {
  readonly tool: LoadTool;
  readonly connections: number;
  readonly durationS: number;
  readonly cpus: { readonly server: number | undefined; readonly load: number | undefined };
  /** ServiceAccounts (each with its own role and a pod) besides the one under load. */
  readonly extraServiceAccounts: number;
  readonly log: (line: string) => void;
}

export interface ThroughputRow extends LoadResult {
  readonly target: 'baseline' | 'server';
  readonly scenario: string;
  readonly keepAlive: boolean;
}

export interface ThroughputReport {
  readonly bodyBytes: number;
  readonly rows: readonly ThroughputRow[];
  readonly ratios: {
    readonly keepAlive: number;
    readonly close: number;
    readonly p99StsSlowVsSteady: number;
    readonly p99RefreshVsSteady: number;
  };
}

const ROLE = 'bench-role';
const PATH = `/latest/meta-data/iam/security-credentials/${ROLE}`;

export async function benchThroughput(o: ThroughputOptions): Promise<ThroughputReport> {
  const stack = await startBenchStack({
    cpu: o.cpus.server,
    // Fast enough to fill 1,000 roles at start; the load itself never calls STS.
    serverArgs: ['--sts-rate=1000', '--sts-burst=1000'],
    seed: (kube) => {
      addNamespace(kube, 'bench');
      addServiceAccount(kube, 'bench', 'app', ROLE);
      // The load generator connects from 127.0.0.1: that is this pod's IP.
      addRunningPod(kube, { namespace: 'bench', name: 'app-0', serviceAccount: 'app', ip: '127.0.0.1' });
      for (let i = 0; i < o.extraServiceAccounts; i++) {
        addServiceAccount(kube, 'bench', `sa-${i}`, `role-${i}`);
        addRunningPod(kube, { namespace: 'bench', name: `pod-${i}`, serviceAccount: `sa-${i}`, ip: podIp(i) });
      }
    },
  });
  const rows: ThroughputRow[] = [];
  try {
    const url = `${stack.metadataUrl}${PATH}`;
    const token = await (await fetch(`${stack.metadataUrl}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' } })).text();
    const first = await fetch(url, { headers: { 'x-aws-ec2-metadata-token': token } });
    const bodyBytes = (await first.arrayBuffer()).byteLength;
    if (first.status !== 200) throw new Error(`the server answered ${first.status} to the bench pod`);
    o.log(`credentials document: ${bodyBytes} bytes; IMDSv2 token: ${token.length} characters`);
    const v2 = { 'x-aws-ec2-metadata-token': token };

    const baseline = await startBaseline(bodyBytes, o.cpus.server);
    try {
      const measure = async (target: 'baseline' | 'server', scenario: string, keepAlive: boolean, during?: () => Promise<void>): Promise<ThroughputRow> => {
        const targetUrl = target === 'baseline' ? `${baseline.url}${PATH}` : url;
        const headers = target === 'server' && scenario !== 'IMDSv1 (no token)' ? v2 : {};
        const common = { tool: o.tool, url: targetUrl, connections: o.connections, keepAlive, headers, cpu: o.cpus.load };
        await runLoad({ ...common, durationS: 2 }); // warm-up: JIT, connection pools
        const [result] = await Promise.all([runLoad({ ...common, durationS: o.durationS }), during?.()]);
        const row = { target, scenario, keepAlive, ...result };
        o.log(`${target.padEnd(8)} ${scenario.padEnd(34)} ${keepAlive ? 'keep-alive' : 'close     '} ${Math.round(row.rps)} req/s p50 ${row.p50Ms.toFixed(2)} ms p99 ${row.p99Ms.toFixed(2)} ms errors ${row.errors} non-2xx ${row.non2xx}`);
        rows.push(row);
        return row;
      };
      const baseKa = await measure('baseline', 'steady', true);
      const serverKa = await measure('server', 'steady', true);
      await measure('server', 'IMDSv1 (no token)', true);
      const baseClose = await measure('baseline', 'steady', false);
      const serverClose = await measure('server', 'steady', false);
      const slow = await measure('server', 'STS answers in 10 s', true, () => stsSlow(stack, o.durationS));
      const refresh = await measure('server', `${o.extraServiceAccounts} ServiceAccounts re-annotated`, true, () => reannotate(stack, o.extraServiceAccounts, o.durationS));
      return {
        bodyBytes,
        rows,
        ratios: {
          keepAlive: serverKa.rps / baseKa.rps,
          close: serverClose.rps / baseClose.rps,
          p99StsSlowVsSteady: slow.p99Ms / serverKa.p99Ms,
          p99RefreshVsSteady: refresh.p99Ms / serverKa.p99Ms,
        },
      };
    } finally {
      baseline.child.kill('SIGTERM');
    }
  } finally {
    await stack.stop();
  }
}

/** STS holds every answer for 10 s while 100 new roles wait for their first credentials (and time out, and retry). */
async function stsSlow(stack: BenchStack, durationS: number): Promise<void> {
  stack.sts.faults.setLatency(10_000);
  for (let i = 0; i < 100; i++) addServiceAccount(stack.kube, 'bench', `cold-${i}`, `cold-role-${i}`);
  await new Promise((resolve) => setTimeout(resolve, durationS * 1000));
  stack.sts.faults.setLatency(0);
}

/** Every extra ServiceAccount gets a new role during the run (evenly spread): watch events and fresh STS calls. */
async function reannotate(stack: BenchStack, count: number, durationS: number): Promise<void> {
  const before = stack.sts.countCalls('AssumeRole');
  const spreadMs = durationS * 1000 * 0.8;
  const batches = 40;
  for (let b = 0; b < batches; b++) {
    for (let i = Math.floor((b * count) / batches); i < Math.floor(((b + 1) * count) / batches); i++) {
      annotateServiceAccount(stack.kube, 'bench', `sa-${i}`, `role-${i}-v2`);
    }
    await new Promise((resolve) => setTimeout(resolve, spreadMs / batches));
  }
  await new Promise((resolve) => setTimeout(resolve, durationS * 1000 - spreadMs));
  const calls = stack.sts.countCalls('AssumeRole') - before;
  if (calls < count / 2) throw new Error(`only ${calls} AssumeRole calls during the re-annotation: the scenario did not happen`);
}

interface Baseline {
  readonly child: ChildProcess;
  readonly url: string;
}

async function startBaseline(bodyBytes: number, cpu: number | undefined): Promise<Baseline> {
  const script = fileURLToPath(new URL('./baseline-server.ts', import.meta.url));
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const child = spawn(process.execPath, ['--import', tsx, script, String(bodyBytes)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`baseline server exited (${code})`)));
  });
  if (cpu !== undefined) pinProcess(child.pid!, cpu);
  return { child, url: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}` };
}
