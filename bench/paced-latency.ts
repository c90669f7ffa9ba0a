/**
 * Latency at a fixed offered load, server against baseline. The steady rows of throughput.ts load each target as fast
 * as it answers: there, by Little's law, the mean latency is connections / throughput (50 / 30,000 req/s = 1.7 ms),
 * so their p99 measures the throughput again more than the time to answer. Here every connection pauses after each
 * answer (wrk-paced.lua), so both targets get the same requests per second, well below what either can serve, and
 * their latencies compare what an answer costs plus what the machine adds (scheduling, GC). The pauses are random
 * (exponential): with a fixed pause the connections fall into step and the p99 measures their bursts. Interleaved rounds,
 * medians per side, as in paired.ts.
 */
import { runLoad, type LoadResult, type LoadTool } from './load-generator.js';
import { measurePaired, median, type PairedTarget } from './paired.js';

export interface PacedLatencyOptions {
  readonly tool: LoadTool;
  readonly connections: number;
  /** Mean pauses after each answer (ms), one measurement per pace. */
  readonly pacesMs: readonly number[];
  readonly rounds: number;
  readonly roundS: number;
  readonly urls: { readonly baseline: string; readonly server: string };
  readonly pids: { readonly baseline: number | undefined; readonly server: number | undefined };
  readonly headers: Readonly<Record<string, string>>;
  readonly cpu: number | undefined;
  readonly log: (line: string) => void;
}

/** One side over the rounds: rps, p50 and p99 are medians, max the largest seen, errors and non-2xx the sums. */
export type PacedSide = Pick<LoadResult, 'rps' | 'p50Ms' | 'p99Ms' | 'maxMs' | 'errors' | 'non2xx'>;

export interface PacedLatencyRow {
  readonly paceMs: number;
  /** connections × 1000 / mean pause: the load the pauses make (wrk truncates each to whole ms, so a little more). */
  readonly offeredRps: number;
  readonly rounds: number;
  readonly baseline: PacedSide;
  readonly server: PacedSide;
  /** Median over rounds of server p99 / baseline p99 (same round). */
  readonly p99Ratio: number;
}

export async function benchPacedLatency(o: PacedLatencyOptions): Promise<PacedLatencyRow[]> {
  const rows: PacedLatencyRow[] = [];
  for (const paceMs of o.pacesMs) {
    const target = (t: 'baseline' | 'server'): PairedTarget => {
      const common = { tool: o.tool, url: o.urls[t], connections: o.connections, keepAlive: true, headers: o.headers, cpu: o.cpu, paceMs };
      return { pid: o.pids[t], warm: () => runLoad({ ...common, durationS: 1 }), run: () => runLoad({ ...common, durationS: o.roundS }) };
    };
    const paired = await measurePaired({ rounds: o.rounds, baseline: target('baseline'), server: target('server') });
    const base = paired.baseline.runs;
    const p99Ratios = paired.server.runs.map((r, i) => r.p99Ms / base[i]!.p99Ms);
    const row: PacedLatencyRow = {
      paceMs,
      offeredRps: (o.connections * 1000) / paceMs,
      rounds: o.rounds,
      baseline: sideOf(base),
      server: sideOf(paired.server.runs),
      p99Ratio: median(p99Ratios),
    };
    o.log(`paced, mean pause ${paceMs} ms (about ${Math.round(row.offeredRps)} req/s offered): ` +
      `baseline ${Math.round(row.baseline.rps)} req/s p50 ${row.baseline.p50Ms.toFixed(2)} ms p99 ${row.baseline.p99Ms.toFixed(2)} ms; ` +
      `server ${Math.round(row.server.rps)} req/s p50 ${row.server.p50Ms.toFixed(2)} ms p99 ${row.server.p99Ms.toFixed(2)} ms; ` +
      `p99 server/baseline per round ${p99Ratios.map((r) => r.toFixed(2)).join(' ')}`);
    rows.push(row);
  }
  return rows;
}

function sideOf(runs: readonly LoadResult[]): PacedSide {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    maxMs: Math.max(...runs.map((r) => r.maxMs)),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
  };
}
