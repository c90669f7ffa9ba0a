/** Renders the bench results as Markdown tables (printed, and pasted into docs/performance.md). */
import type { ThroughputReport } from './throughput.js';
import type { InstructionsReport } from './instructions.js';
import type { MemoryReport } from './memory.js';
import type { StsEconomyReport } from './sts-economy.js';
import type { EventLatencyReport } from './event-latency.js';
import type { GuestIdle } from './guest-halt-poll.js';

export interface BenchResults {
  /** What main.ts records of the machine; only the guest's idle setting is rendered here. */
  machine?: { readonly guestIdle?: GuestIdle };
  throughput?: ThroughputReport;
  instructions?: InstructionsReport;
  memory?: MemoryReport;
  sts?: StsEconomyReport;
  latency?: EventLatencyReport;
}

const f = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const mib = (bytes: number): string => f(bytes / 2 ** 20, 1);

function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function renderReport(results: BenchResults): string {
  const parts: string[] = [];
  const t = results.throughput;
  if (t) {
    // Without wrk there is no decided-afresh row: NaN in the run, null once saved as JSON.
    const afreshRatio = typeof t.ratios.keepAliveAfresh === 'number' && Number.isFinite(t.ratios.keepAliveAfresh) ? t.ratios.keepAliveAfresh : undefined;
    parts.push(`### Credential GET throughput (${t.rows[0]?.tool ?? '?'}, body ${t.bodyBytes} B)\n`);
    parts.push(table(
      ['target', 'scenario', 'connection', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'non-2xx'],
      t.rows.map((r) => [r.target, r.scenario, r.keepAlive ? 'keep-alive' : 'close', String(Math.round(r.rps)), f(r.p50Ms), f(r.p99Ms), f(r.maxMs), String(r.errors), String(r.non2xx)]),
    ));
    const cpu = t.cpuUsPerRequest;
    if (cpu) {
      parts.push(`\nCPU time per request (the process, all threads; median of the rounds): keep-alive baseline ${f(cpu.keepAlive.baseline)} µs, ` +
        `server ${f(cpu.keepAlive.server)} µs (**${f(t.ratios.cpuKeepAlive)}×** the baseline's efficiency); Connection: close baseline ${f(cpu.close.baseline)} µs, ` +
        `server ${f(cpu.close.server)} µs (**${f(t.ratios.cpuClose)}×**). Per-round req/s ratios, keep-alive: ${t.roundRatios.keepAlive.map((r) => f(r)).join(', ')}; ` +
        `close: ${t.roundRatios.close.map((r) => f(r)).join(', ')}.`);
      const afresh = cpu.keepAliveAfresh;
      if (afresh && afreshRatio !== undefined) {
        parts.push(`\nKeep-alive, every request decided afresh (past the server's memo of answers): **${f(afreshRatio)}×** req/s, ` +
          `CPU per request baseline ${f(afresh.baseline)} µs, server ${f(afresh.server)} µs; per-round ratios ${(t.roundRatios.keepAliveAfresh ?? []).map((r) => f(r)).join(', ')}.`);
      }
    }
    const ipis = t.wakeupIpisPerRequest;
    if (ipis) {
      const idle = results.machine?.guestIdle;
      // Runs saved before session 12 may name a poll while another driver was in use: the poll counts only with haltpoll.
      const polling = idle?.haltPollNs !== undefined && (idle.cpuidleDriver === undefined || idle.cpuidleDriver === 'haltpoll');
      const setting = polling ? `guest halt polling ${idle!.haltPollNs} ns` : `cpuidle driver ${idle?.cpuidleDriver ?? 'unknown'}, no halt polling`;
      parts.push(`
Wake-up interrupts received by the load generator's CPU per request (${setting}): keep-alive baseline ${f(ipis.keepAlive.baseline)}, ` +
        `server ${f(ipis.keepAlive.server)}; Connection: close baseline ${f(ipis.close.baseline)}, server ${f(ipis.close.server)}.`);
    }
    if (t.paced?.length) {
      parts.push(`\nLatency at a fixed offered load (keep-alive, ${t.rows[0]?.tool ?? '?'}; each connection pauses a random time, exponential with the given mean, after every answer; medians of ${t.paced[0]!.rounds} interleaved rounds):\n`);
      parts.push(table(
        ['mean pause ms', 'offered req/s (about)', 'baseline req/s', 'baseline p50 ms', 'baseline p99 ms', 'server req/s', 'server p50 ms', 'server p99 ms', 'server max ms', 'p99 server/baseline', 'errors + non-2xx'],
        t.paced.map((p) => [String(p.paceMs), String(Math.round(p.offeredRps)), String(Math.round(p.baseline.rps)), f(p.baseline.p50Ms), f(p.baseline.p99Ms),
          String(Math.round(p.server.rps)), f(p.server.p50Ms), f(p.server.p99Ms), f(p.server.maxMs), f(p.p99Ratio), String(p.baseline.errors + p.baseline.non2xx + p.server.errors + p.server.non2xx)]),
      ));
    }
    const afreshNote = afreshRatio === undefined ? '' : ` (decided afresh **${f(afreshRatio)}×**)`;
    parts.push(`\nserver / baseline req/s (median of the interleaved rounds' ratios): keep-alive **${f(t.ratios.keepAlive)}×**${afreshNote}, Connection: close **${f(t.ratios.close)}×**; ` +
      `p99 vs steady: STS answering in 10 s **${f(t.ratios.p99StsSlowVsSteady)}×**, 1,000 ServiceAccounts being refreshed **${f(t.ratios.p99RefreshVsSteady)}×** ` +
      `(against the steady row of its own stack; ${t.refreshCallsDuringLoad ?? '?'} AssumeRole calls during that row), ` +
      `extra: re-annotation at --sts-rate=1000 **${f(t.ratios.p99ReannotateVsSteady ?? Number.NaN)}×**\n`);
  }
  const ins = results.instructions;
  if (ins) {
    const count = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
    parts.push(`### Instructions per credential GET (callgrind, ${ins.valgrind}; ${ins.connections} connections, ${ins.roundS} s rounds after ${ins.warmRounds} unmeasured)\n`);
    parts.push(table(
      ['connection', 'baseline instructions / request', 'of which main thread', 'server instructions / request', 'of which main thread', 'baseline / server (median of rounds)', 'per-round ratios', 'failed requests'],
      ins.rows.map((r) => [r.scenario, count(r.baseline.perRequest), count(r.baseline.mainThreadPerRequest), count(r.server.perRequest), count(r.server.mainThreadPerRequest),
        `**${f(r.ratio, 3)}×**`, r.roundRatios.map((x) => f(x, 3)).join(', '),
        String([...r.rounds.baseline, ...r.rounds.server].reduce((sum, x) => sum + x.failed, 0))]),
    ));
    parts.push('\nUser-space instructions only: the kernel\'s work (system calls, waking the load generator) is not counted.\n');
  }
  const m = results.memory;
  if (m) {
    parts.push('### Memory (heap after GC, RSS; server ready: caches synced, every role fetched)\n');
    parts.push(table(['scenario', 'heap MiB', 'RSS MiB', 'ready in s', 'AssumeRole calls'], m.scenarios.map((s) => [s.name, mib(s.heapUsed), mib(s.rss), f(s.msToReady / 1000, 1), String(s.assumeRoleCalls)])));
    parts.push(`\nper pod with its own ServiceAccount, no role (${m.perPodNoRole.pods} of each): heap **${Math.round(m.perPodNoRole.heap)} B**, RSS ${Math.round(m.perPodNoRole.rss)} B`);
    parts.push(`per annotated ServiceAccount (binding + credentials entry): heap **${Math.round(m.perAnnotatedServiceAccount.heap)} B**, RSS ${Math.round(m.perAnnotatedServiceAccount.rss)} B`);
    for (const p of m.perPodMarginal) parts.push(`per pod from ${p.from} to ${p.to} pods: heap **${Math.round(p.heap)} B**, RSS ${Math.round(p.rss)} B`);
    parts.push('');
  }
  const s = results.sts;
  if (s) {
    parts.push('### STS economy\n');
    const r = s.refresh;
    parts.push(`refresh: ${r.roles} roles over ${r.virtualHours} virtual hours: ${r.calls} AssumeRole calls, ${r.inWindow} refreshes in their window, ` +
      `${r.early} early, ${r.lateOrMissed} late or missed: **${f(r.callsPerEntryPerRefreshPeriod, 3)}** calls per entry per refresh period`);
    parts.push(`cold stampede: ${s.stampede.requests} concurrent requests, ${s.stampede.ok} answered 200, **${s.stampede.assumeRoleCalls}** AssumeRole call(s), ` +
      `last answer after ${f(s.stampede.latencyMs.max, 0)} ms\n`);
    parts.push(table(['roles', 'time to ready s', '(N - burst) / rate s', 'ratio'], s.timeToReady.map((x) => [String(x.roles), f(x.ms / 1000, 1), f(x.theoreticalMs / 1000, 1), f(x.ratio, 3)])));
    parts.push('');
  }
  const l = results.latency;
  if (l) {
    parts.push('### Event-to-answer latency\n');
    parts.push(table(
      ['what', 'samples', 'p50 ms', 'p99 ms', 'max ms'],
      [
        ['watch event → answer to a waiting request', String(l.eventToAnswerMs.count), f(l.eventToAnswerMs.p50), f(l.eventToAnswerMs.p99), f(l.eventToAnswerMs.max)],
        ['request from a known pod (same client)', String(l.knownPodRequestMs.count), f(l.knownPodRequestMs.p50), f(l.knownPodRequestMs.p99), f(l.knownPodRequestMs.max)],
      ],
    ));
    parts.push(`\nfailures: ${l.failures}\n`);
  }
  return parts.join('\n');
}
