/**
 * Side-by-side comparison on a noisy machine: the two targets are measured in many short, interleaved rounds
 * (baseline, server, baseline, server, ...), so that a slow spell of the machine (these are shared VMs: the same
 * baseline moved between 37,000 and 65,000 req/s within one minute) hits both alike, and the figure reported is the
 * median of the per-round ratios. Each round is preceded by a short unmeasured load of the same target, so neither
 * side is measured coming out of idle: what is compared is sustained load. Each run also records the CPU time the target process spent per request
 * (/proc/<pid>/stat, every thread), a second view of the same cost that does not depend on the load generator, and
 * the wake-up interrupts the load generator's CPU received per request (wakeup-ipis.ts): what waking it cost the target.
 */
import { readFileSync } from 'node:fs';
import type { LoadResult } from './load-generator.js';
import { wakeupIpis } from './wakeup-ipis.js';

export interface PairedTarget {
  readonly pid: number | undefined;
  /** Load just before each measured round (not measured), so each side is measured under sustained load. */
  warm?(): Promise<unknown>;
  run(): Promise<LoadResult>;
}

export interface PairedSide {
  /** The run with the median req/s, as the row to show. */
  readonly median: LoadResult;
  readonly rps: readonly number[];
  /** Every measured run, in round order. */
  readonly runs: readonly LoadResult[];
  /** CPU microseconds per answered request, median over the rounds (NaN without /proc). */
  readonly cpuUsPerRequest: number;
  /** Wake-up interrupts received by the load generator's CPU per answered request, median over the rounds (NaN when unknown). */
  readonly wakeupIpisPerRequest: number;
}

export interface PairedResult {
  readonly rounds: number;
  readonly baseline: PairedSide;
  readonly server: PairedSide;
  /** Median over rounds of server req/s / baseline req/s (same round). */
  readonly ratio: number;
  /** Median over rounds of baseline CPU per request / server CPU per request (1 = as cheap as the baseline). */
  readonly cpuRatio: number;
  readonly ratios: readonly number[];
}

export interface PairedOptions {
  readonly rounds: number;
  readonly baseline: PairedTarget;
  readonly server: PairedTarget;
  /** The load generator's CPU, whose wake-up interrupts are counted; none when the load is not pinned. */
  readonly loadCpu?: number | undefined;
}

interface Measured {
  readonly r: LoadResult;
  readonly cpu: number;
  readonly ipis: number;
}

export async function measurePaired(o: PairedOptions): Promise<PairedResult> {
  const base: Measured[] = [];
  const server: Measured[] = [];
  for (let i = 0; i < o.rounds; i++) {
    // Alternate which goes first, so neither always follows the other.
    const order = i % 2 === 0 ? ([[o.baseline, base], [o.server, server]] as const) : ([[o.server, server], [o.baseline, base]] as const);
    for (const [target, into] of order) {
      await target.warm?.();
      into.push(await measured(target, o.loadCpu));
    }
  }
  const ratios = base.map((b, i) => server[i]!.r.rps / b.r.rps);
  const cpuRatios = base.map((b, i) => b.cpu / server[i]!.cpu);
  return { rounds: o.rounds, baseline: side(base), server: side(server), ratio: median(ratios), cpuRatio: median(cpuRatios), ratios };
}

async function measured(target: PairedTarget, loadCpu: number | undefined): Promise<Measured> {
  const before = cpuSeconds(target.pid);
  const ipisBefore = wakeupIpis(loadCpu);
  const r = await target.run();
  const spent = cpuSeconds(target.pid) - before;
  const ipis = wakeupIpis(loadCpu) - ipisBefore;
  const perRequest = (n: number): number => (r.requests > 0 ? n / r.requests : Number.NaN);
  return { r, cpu: perRequest(spent * 1e6), ipis: perRequest(ipis) };
}

function side(runs: readonly Measured[]): PairedSide {
  const sorted = [...runs].sort((a, b) => a.r.rps - b.r.rps);
  return {
    median: sorted[Math.floor((sorted.length - 1) / 2)]!.r,
    rps: runs.map((x) => x.r.rps),
    runs: runs.map((x) => x.r),
    cpuUsPerRequest: median(runs.map((x) => x.cpu)),
    wakeupIpisPerRequest: median(runs.map((x) => x.ipis)),
  };
}

export function median(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length / 2;
  return finite.length % 2 ? finite[Math.floor(mid)]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

/** utime + stime of a process (all its threads), in seconds; NaN when unknown. */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start after the last ')': utime and stime are fields 14, 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;
