/**
 * Benchmark 1 counted instead of timed: instructions per credentials request, the real server binary against the bare
 * baseline, both run under valgrind's callgrind (callgrind.ts) and loaded by wrk exactly as in throughput.ts (same
 * requests, same 50 connections; keep-alive, decided afresh, `Connection: close`). A count is the same for the same
 * code and input whatever the machine's neighbours do, so this ratio repeats where the req/s ratio drifts with the
 * machine; what it leaves out is the kernel's work (system calls, waking the load generator) and how fast the
 * instructions run (caches, memory). Under callgrind both processes run some 50 times slower; only the counts matter.
 */
import { startBenchStack } from './bench-stack.js';
import { startBaseline } from './baseline-process.js';
import { AFRESH_PATHS, PATH, firstAnswer, seedBenchCluster } from './bench-caller.js';
import { callgrindLauncher, readCounts, valgrindVersion, zeroCounts, type ThreadCounts } from './callgrind.js';
import { runLoad, type LoadResult, type LoadTool } from './load-generator.js';
import { median } from './paired.js';

export interface InstructionsOptions {
  readonly tool: LoadTool;
  readonly connections: number;
  /** Measured rounds per scenario, server and baseline interleaved. */
  readonly rounds: number;
  /** Unmeasured rounds per scenario and target before them (V8 compiles the hot code as it runs, slowly here). */
  readonly warmRounds: number;
  readonly roundS: number;
  readonly extraServiceAccounts: number;
  readonly cpus: { readonly server: number | undefined; readonly load: number | undefined };
  readonly log: (line: string) => void;
}

export interface InstructionsRound {
  readonly requests: number;
  /** Socket errors, timeouts and answers that were not 2xx. */
  readonly failed: number;
  /** Instructions per answered request, every thread of the process. */
  readonly perRequest: number;
  /** Of which the main thread's (Node's event loop; the rest are V8's compiler and GC threads and, in the server, its outbound thread). */
  readonly mainThreadPerRequest: number;
}

export interface InstructionsRow {
  readonly scenario: 'keep-alive' | 'keep-alive, decided afresh' | 'close';
  /** Medians of the rounds. */
  readonly baseline: { readonly perRequest: number; readonly mainThreadPerRequest: number };
  readonly server: { readonly perRequest: number; readonly mainThreadPerRequest: number };
  /** Median over rounds of baseline instructions per request / server instructions per request (1: as cheap as the baseline). */
  readonly ratio: number;
  readonly roundRatios: readonly number[];
  readonly rounds: { readonly baseline: readonly InstructionsRound[]; readonly server: readonly InstructionsRound[] };
}

export interface InstructionsReport {
  readonly valgrind: string;
  readonly bodyBytes: number;
  readonly connections: number;
  readonly roundS: number;
  readonly warmRounds: number;
  readonly msToReady: number;
  readonly rows: readonly InstructionsRow[];
}

export async function benchInstructions(o: InstructionsOptions): Promise<InstructionsReport> {
  const valgrind = valgrindVersion();
  if (!valgrind) throw new Error('valgrind is not installed (apt-get install valgrind): it counts the instructions');
  const launcher = callgrindLauncher();
  o.log(`${valgrind}: starting the server under callgrind with ${o.extraServiceAccounts} more ServiceAccounts (slow: every instruction is counted)`);
  const stack = await startBenchStack({
    cpu: o.cpus.server,
    serverArgs: ['--sts-rate=1000', '--sts-burst=1000'],
    seed: (kube) => seedBenchCluster(kube, o.extraServiceAccounts),
    launcher,
    readyTimeoutMs: 30 * 60_000,
  });
  try {
    o.log(`server ready in ${(stack.msToReady / 1000).toFixed(1)} s`);
    const { bodyBytes, v2 } = await firstAnswer(stack, o.log);
    const baseline = await startBaseline(bodyBytes, o.cpus.server, launcher);
    try {
      const targets = {
        baseline: { pid: baseline.child.pid!, url: `${baseline.url}${PATH}` },
        server: { pid: stack.server.child.pid!, url: `${stack.metadataUrl}${PATH}` },
      };
      const scenarios: ReadonlyArray<{ scenario: InstructionsRow['scenario']; keepAlive: boolean; paths?: readonly string[] }> = [
        { scenario: 'keep-alive', keepAlive: true },
        // wrk only (wrk-paths.lua), as in throughput.ts.
        ...(o.tool === 'wrk' ? [{ scenario: 'keep-alive, decided afresh', keepAlive: true, paths: AFRESH_PATHS } as const] : []),
        { scenario: 'close', keepAlive: false },
      ];
      if (o.tool !== 'wrk') o.log('keep-alive, decided afresh: skipped (needs wrk)');
      const rows: InstructionsRow[] = [];
      for (const s of scenarios) {
        const round = async (t: 'baseline' | 'server'): Promise<InstructionsRound> => {
          const { pid, url } = targets[t];
          // Both get the same request, token header included (throughput.ts says why).
          const load = { tool: o.tool, url, connections: o.connections, durationS: o.roundS, keepAlive: s.keepAlive, headers: v2, cpu: o.cpus.load, paths: s.paths };
          zeroCounts(pid);
          const r = await runLoad(load);
          return perRequest(r, readCounts(pid));
        };
        for (let w = 0; w < o.warmRounds; w++) {
          const warm = { baseline: await round('baseline'), server: await round('server') };
          o.log(`${s.scenario}: warm-up ${w + 1}: instructions per request baseline ${fmt(warm.baseline.perRequest)}, server ${fmt(warm.server.perRequest)}`);
        }
        const measured = { baseline: [] as InstructionsRound[], server: [] as InstructionsRound[] };
        for (let i = 0; i < o.rounds; i++) {
          // Alternate which goes first, as paired.ts does.
          for (const t of i % 2 === 0 ? (['baseline', 'server'] as const) : (['server', 'baseline'] as const)) measured[t].push(await round(t));
          o.log(`${s.scenario}: round ${i + 1}: instructions per request baseline ${fmt(measured.baseline[i]!.perRequest)}, server ${fmt(measured.server[i]!.perRequest)}, ` +
            `ratio ${(measured.baseline[i]!.perRequest / measured.server[i]!.perRequest).toFixed(3)}`);
        }
        const row = toRow(s.scenario, measured);
        o.log(`${s.scenario}: baseline ${fmt(row.baseline.perRequest)}, server ${fmt(row.server.perRequest)} instructions per request → **${row.ratio.toFixed(3)}×** (median of ${o.rounds} rounds)`);
        rows.push(row);
      }
      return { valgrind, bodyBytes, connections: o.connections, roundS: o.roundS, warmRounds: o.warmRounds, msToReady: stack.msToReady, rows };
    } finally {
      baseline.child.kill('SIGTERM');
    }
  } finally {
    await stack.stop();
  }
}

/**
 * Counts per answered request. The requests wrk had in flight when it stopped were served but not counted (at most
 * one per connection: 50 of the 5,000-20,000 of a 10 s round, under 1 %, alike on both sides).
 */
export function perRequest(load: LoadResult, counts: ThreadCounts): InstructionsRound {
  const per = (n: number): number => (load.requests > 0 ? n / load.requests : Number.NaN);
  return { requests: load.requests, failed: load.errors + load.non2xx, perRequest: per(counts.total), mainThreadPerRequest: per(counts.mainThread) };
}

export function toRow(scenario: InstructionsRow['scenario'], measured: { readonly baseline: readonly InstructionsRound[]; readonly server: readonly InstructionsRound[] }): InstructionsRow {
  const roundRatios = measured.baseline.map((b, i) => b.perRequest / measured.server[i]!.perRequest);
  const side = (rounds: readonly InstructionsRound[]) => ({ perRequest: median(rounds.map((r) => r.perRequest)), mainThreadPerRequest: median(rounds.map((r) => r.mainThreadPerRequest)) });
  return { scenario, baseline: side(measured.baseline), server: side(measured.server), ratio: median(roundRatios), roundRatios, rounds: measured };
}

const fmt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
