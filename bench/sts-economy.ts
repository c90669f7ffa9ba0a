/**
 * Benchmark 4, STS economy:
 *  - AssumeRole calls per entry per refresh period, over hours of virtual time: the real server in this process on a
 *    ManualClock, the STS call replaced by a fake that behaves like STS (credentials that expire `DurationSeconds`
 *    after the call, on the same clock) and records every call;
 *  - AssumeRole calls under a cold stampede of 1,000 concurrent requests (real binary, STS emulator answering in 1 s);
 *  - time to ready for N roles at the default rate limit, against the token bucket's minimum (N - burst) / rate.
 */
import { Agent, request } from 'node:http';
import { Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { ManualClock } from '@iam4kube/shared';
import { startKubeApiEmulator, type KubeApiEmulator } from '@iam4kube/testkit';
import { parseServerArgs } from '../packages/server/src/config.js';
import { startServer } from '../packages/server/src/app.js';
import { createTokenBucketLimiter } from '../packages/server/src/credentials/token-bucket-limiter.js';
import type { Assumer, AssumeRoleRequest, Credentials } from '../packages/server/src/credentials/credentials.js';
import { addNamespace, addRunningPod, addServiceAccount, podIp, roleArn } from './cluster-seed.js';
import { startBenchStack } from './bench-stack.js';
import { summarize, type Summary } from './stats.js';

export interface StsEconomyOptions {
  /** N for time-to-ready (default rate limit). */
  readonly roles: readonly number[];
  readonly stampede: number;
  /** Roles whose refreshes are counted over virtual time. */
  readonly refreshRoles: number;
  readonly cpus: { readonly server: number | undefined; readonly load: number | undefined };
  readonly log: (line: string) => void;
}

export interface RefreshEconomy {
  readonly roles: number;
  readonly virtualHours: number;
  readonly calls: number;
  /** Refreshes (calls after each role's first) made inside the refresh window of the credentials they replaced. */
  readonly inWindow: number;
  /** Calls made before the current credentials' refresh window opened (a duplicate or a too-early refresh). */
  readonly early: number;
  /** Refreshes that came after the window closed, or windows that closed with no refresh. */
  readonly lateOrMissed: number;
  /** (calls after the first per role) / (refresh windows that opened and closed or got their refresh): target 1. */
  readonly callsPerEntryPerRefreshPeriod: number;
}

export interface StsEconomyReport {
  readonly refresh: RefreshEconomy;
  readonly stampede: { readonly requests: number; readonly ok: number; readonly assumeRoleCalls: number; readonly latencyMs: Summary };
  readonly timeToReady: ReadonlyArray<{ readonly roles: number; readonly ms: number; readonly theoreticalMs: number; readonly ratio: number }>;
}

const SESSION_MS = 3_600_000;
const REFRESH_BEFORE_MS = 1_800_000;
const SAFETY_MARGIN_MS = 300_000;
const DEFAULT_RATE = 10;
const DEFAULT_BURST = 20;

export async function benchStsEconomy(o: StsEconomyOptions): Promise<StsEconomyReport> {
  const refresh = await refreshEconomy(o.refreshRoles, 12, o.log);
  const stampede = await coldStampede(o.stampede, o.cpus.server, o.log);
  const timeToReady = [];
  for (const n of o.roles) timeToReady.push(await readyTime(n, o.cpus.server, o.log));
  return { refresh, stampede, timeToReady };
}

/** A stand-in for STS on the bench's clock: every call succeeds and is recorded. */
function recordingAssumer(clock: ManualClock, calls: Array<{ roleArn: string; at: number }>): Assumer {
  let n = 0;
  return {
    async assumeRole(r: AssumeRoleRequest): Promise<Credentials> {
      const at = clock.now();
      calls.push({ roleArn: r.roleArn, at });
      n++;
      return { accessKeyId: `ASIA${String(n).padStart(16, '0')}`, secretAccessKey: 'secret', sessionToken: `token-${n}`, expiration: at + r.durationSeconds * 1000, issuedAt: at };
    },
  };
}

async function refreshEconomy(roles: number, hours: number, log: (line: string) => void): Promise<RefreshEconomy> {
  const kube = await startKubeApiEmulator({ bookmarkIntervalMs: 0 });
  const clock = new ManualClock(Date.now());
  const calls: Array<{ roleArn: string; at: number }> = [];
  addNamespace(kube, 'economy');
  for (let i = 0; i < roles; i++) addServiceAccount(kube, 'economy', `sa-${i}`, `economy-${i}`);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(kube.kubeconfig());
  const parsed = parseServerArgs(['--metadata-host=127.0.0.1', '--metadata-port=0', '--aux-host=127.0.0.1', '--aux-port=0', '--shutdown-delay=0s', '--log-level=warn'], {});
  if (parsed.kind !== 'run') throw new Error('unexpected --help');
  const config = parsed.values;
  const server = await startServer(config, {
    clock,
    kubeConfig,
    assumer: recordingAssumer(clock, calls),
    limiter: createTokenBucketLimiter({ rate: config.stsRate, burst: config.stsBurst, clock }),
    logStream: new Writable({ write: (_c, _e, done) => done() }),
  });
  try {
    // The caches sync over real HTTP; the initial fetches need the token bucket to refill on the virtual clock.
    while (!server.ready()) {
      await clock.advance(100);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const start = clock.now();
    for (let m = 0; m < hours * 60; m++) await clock.advance(60_000);
    const end = clock.now();
    const economy = judge(calls, end);
    const result = { roles, virtualHours: (end - start) / 3_600_000, calls: calls.length, ...economy };
    log(`refresh: ${roles} roles over ${result.virtualHours} virtual hours: ${calls.length} AssumeRole calls; ` +
      `${economy.inWindow} refreshes in their window, ${economy.early} early, ${economy.lateOrMissed} late or missed: ` +
      `${economy.callsPerEntryPerRefreshPeriod.toFixed(3)} calls per entry per refresh period`);
    return result;
  } finally {
    // Shutdown waits on the server's clock (shutdown delay, drain): keep virtual time moving until it is done.
    let stopped = false;
    const stopping = server.stop().finally(() => (stopped = true));
    while (!stopped) {
      await clock.advance(1000);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await stopping;
    await kube.close();
  }
}

/**
 * Judges every role's calls against the refresh windows of the credentials they replace: a window opens when at
 * most the refresh interval (session - refresh-before) less a quarter of it as jitter has passed since the call that
 * issued them, and closes when they stop being served (SAFETY_MARGIN_MS before expiry).
 */
function judge(calls: ReadonlyArray<{ roleArn: string; at: number }>, end: number): Omit<RefreshEconomy, 'roles' | 'virtualHours' | 'calls'> {
  const byRole = new Map<string, number[]>();
  for (const c of calls) byRole.set(c.roleArn, [...(byRole.get(c.roleArn) ?? []), c.at]);
  const opensAfter = (SESSION_MS - REFRESH_BEFORE_MS) * 0.75;
  const closesAfter = SESSION_MS - SAFETY_MARGIN_MS;
  let inWindow = 0;
  let early = 0;
  let lateOrMissed = 0;
  for (const times of byRole.values()) {
    for (let i = 0; i < times.length; i++) {
      const next = times[i + 1];
      if (next === undefined) {
        if (end >= times[i]! + closesAfter) lateOrMissed++;
      } else if (next < times[i]! + opensAfter) early++;
      else if (next > times[i]! + closesAfter) lateOrMissed++;
      else inWindow++;
    }
  }
  const periods = inWindow + lateOrMissed;
  const refreshes = calls.length - byRole.size;
  return { inWindow, early, lateOrMissed, callsPerEntryPerRefreshPeriod: periods === 0 ? Number.NaN : refreshes / periods };
}

/** `count` concurrent requests from the pod's IP arrive before the pod, its ServiceAccount and the role are known. */
async function coldStampede(count: number, cpu: number | undefined, log: (line: string) => void): Promise<StsEconomyReport['stampede']> {
  const stack = await startBenchStack({ cpu, seed: (kube) => addNamespace(kube, 'bench') });
  try {
    stack.sts.faults.setLatency(1000);
    const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
    const sent = performance.now();
    const answers = Array.from({ length: count }, () => get(`${stack.metadataUrl}/latest/meta-data/iam/security-credentials/stampede-role`, agent));
    // Let the requests reach the server and wait there for the pod (they would wait up to --wait-timeout).
    await new Promise((resolve) => setTimeout(resolve, 500));
    addServiceAccount(stack.kube, 'bench', 'stampede', 'stampede-role');
    addRunningPod(stack.kube, { namespace: 'bench', name: 'stampede-0', serviceAccount: 'stampede', ip: '127.0.0.1' });
    const results = await Promise.all(answers);
    agent.destroy();
    const ok = results.filter((r) => r.status === 200).length;
    const assumeRoleCalls = stack.sts.countCalls('AssumeRole', (c) => c.params.RoleArn === roleArn('stampede-role'));
    const latencyMs = summarize(results.map((r) => r.at - sent));
    log(`cold stampede: ${count} concurrent requests, ${ok} answered 200, ${assumeRoleCalls} AssumeRole call(s); all answered within ${Math.round(latencyMs.max)} ms`);
    return { requests: count, ok, assumeRoleCalls, latencyMs };
  } finally {
    await stack.stop();
  }
}

function get(url: string, agent: Agent): Promise<{ status: number; at: number }> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, at: performance.now() }));
    });
    req.on('error', () => resolve({ status: 0, at: performance.now() }));
    req.end();
  });
}

async function readyTime(n: number, cpu: number | undefined, log: (line: string) => void): Promise<StsEconomyReport['timeToReady'][number]> {
  const theoreticalMs = (Math.max(0, n - DEFAULT_BURST) / DEFAULT_RATE) * 1000;
  const stack = await startBenchStack({
    cpu,
    readyTimeoutMs: theoreticalMs * 2 + 60_000,
    seed: (kube: KubeApiEmulator) => {
      addNamespace(kube, 'bench');
      // One pod per ServiceAccount: readiness waits for the roles that running pods use.
      for (let i = 0; i < n; i++) {
        addServiceAccount(kube, 'bench', `sa-${i}`, `ready-${i}`);
        addRunningPod(kube, { namespace: 'bench', name: `pod-${i}`, serviceAccount: `sa-${i}`, ip: podIp(i) });
      }
    },
  });
  try {
    const calls = stack.sts.countCalls('AssumeRole');
    const r = { roles: n, ms: stack.msToReady, theoreticalMs, ratio: theoreticalMs === 0 ? Number.NaN : stack.msToReady / theoreticalMs };
    log(`time to ready, ${n} roles at ${DEFAULT_RATE}/s burst ${DEFAULT_BURST}: ${(r.ms / 1000).toFixed(1)} s (minimum ${(theoreticalMs / 1000).toFixed(1)} s, ×${r.ratio.toFixed(3)}); ${calls} AssumeRole calls`);
    return r;
  } finally {
    await stack.stop();
  }
}

