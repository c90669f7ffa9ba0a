/**
 * `npm run bench`: the benchmarks of issue 8. Prints a table per section and writes every figure as JSON
 * (default .bench/results.json). A benchmark measures; it never asserts a time. Figures that matter are ratios
 * measured side by side in the same run.
 *
 *   npm run bench                       # everything (about 50 minutes on 2 cores: the instruction counts 17, time-to-ready for 5,000 roles 8.5)
 *   npm run bench -- --only throughput  # one or more sections: throughput,instructions,memory,sts,latency
 *   npm run bench -- --quick            # shorter runs and smaller N (a smoke test of the harness)
 *   npm run bench -- --tool autocannon  # the load generator (default: wrk when installed, else autocannon)
 *   npm run bench -- --render .bench/results.json  # the tables of a saved run
 *   npm run bench -- --guest-halt-poll-ns 200000   # a KVM guest's idle polling for the run (root; restored after)
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, totalmem, cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuPlan, pinProcess } from './bench-stack.js';
import { defaultTool, type LoadTool } from './load-generator.js';
import { benchThroughput } from './throughput.js';
import { benchInstructions } from './instructions.js';
import { valgrindVersion } from './callgrind.js';
import { benchMemory } from './memory.js';
import { benchStsEconomy } from './sts-economy.js';
import { benchEventLatency } from './event-latency.js';
import { renderReport, type BenchResults } from './report.js';
import { parseHaltPollNs, readGuestIdle, setGuestHaltPoll } from './guest-halt-poll.js';

const SECTIONS = ['throughput', 'instructions', 'memory', 'sts', 'latency'] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `Usage: npm run bench -- [--only throughput,instructions,memory,sts,latency] [--quick] [--tool wrk|autocannon]
                       [--connections N] [--duration S] [--out FILE] [--render FILE] [--guest-halt-poll-ns NS]
See docs/performance.md.`;

function parseBenchArgs() {
  try {
    return parseArgs({
      options: {
        help: { type: 'boolean', default: false },
        render: { type: 'string' },
        only: { type: 'string' },
        quick: { type: 'boolean', default: false },
        tool: { type: 'string' },
        connections: { type: 'string', default: '50' },
        duration: { type: 'string' },
        out: { type: 'string', default: '.bench/results.json' },
        'guest-halt-poll-ns': { type: 'string' },
      },
    });
  } catch (err) {
    console.error(`bench: ${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}
const { values } = parseBenchArgs();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (values.render !== undefined) {
  // Prints the tables of a saved run (for docs/performance.md) and stops.
  console.log(renderReport(JSON.parse(await readFile(values.render, 'utf8')) as BenchResults));
  process.exit(0);
}
let haltPollNs: number | undefined;
try {
  haltPollNs = values['guest-halt-poll-ns'] === undefined ? undefined : parseHaltPollNs(values['guest-halt-poll-ns']);
} catch (err) {
  console.error(`bench: ${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
const quick = values.quick === true;
const only = new Set((values.only ?? SECTIONS.join(',')).split(',').map((s) => s.trim()) as Section[]);
for (const s of only) {
  if (!SECTIONS.includes(s)) {
    console.error(`bench: unknown section "${s}"; known: ${SECTIONS.join(', ')}\n${USAGE}`);
    process.exit(2);
  }
}
// The instruction counts need valgrind: asked for by name, its absence is an error; in a run of everything, a skip.
if (only.has('instructions') && valgrindVersion() === undefined) {
  if (values.only !== undefined) {
    console.error('bench: the instructions section needs valgrind (apt-get install valgrind)');
    process.exit(2);
  }
  console.log('bench: valgrind is not installed (apt-get install valgrind): the instructions section is skipped');
  only.delete('instructions');
}
const tool = (values.tool ?? defaultTool()) as LoadTool;
const cpuCount = availableParallelism();
const plan = cpuPlan(cpuCount);
// The bench process (emulators, orchestration) shares a CPU with the load generator, never with the server.
if (plan.load !== undefined) pinProcess(process.pid, plan.load);
const log = (line: string): void => console.log(`  ${line}`);

// The guest's idle polling for this run, put back when the bench ends, fails or is interrupted.
let restoreHaltPoll: (() => void) | undefined;
try {
  restoreHaltPoll = haltPollNs === undefined ? undefined : setGuestHaltPoll(haltPollNs);
} catch (err) {
  console.error(`bench: ${(err as Error).message}`);
  process.exit(2);
}
if (restoreHaltPoll) {
  process.once('exit', restoreHaltPoll);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      restoreHaltPoll();
      process.exit(code);
    });
  }
}

const machine = {
  cpus: cpuCount,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  node: process.version,
  tool,
  pinning: plan.server === undefined ? 'none (1 CPU)' : `server on CPU ${plan.server}; load generator, emulators and bench on CPU ${plan.load}`,
  guestIdle: readGuestIdle(),
  guestHaltPollSetByBench: haltPollNs !== undefined,
  date: new Date().toISOString(),
};
console.log(`iam4kube bench: ${JSON.stringify(machine)}`);

const results: BenchResults & { machine: typeof machine; quick: boolean } = { machine, quick };
if (only.has('throughput')) {
  console.log('\n[1, 2] credential GET throughput and latency');
  results.throughput = await benchThroughput({
    tool,
    connections: Number(values.connections),
    durationS: Number(values.duration ?? (quick ? 3 : 10)),
    pairRounds: quick ? 3 : 8,
    pairS: quick ? 2 : 4,
    settleMs: quick ? 0 : 60_000,
    // Mean pauses of 10 and 5 ms at 50 connections: about 5,000 and 10,000 req/s offered.
    paced: { pacesMs: [10, 5], rounds: quick ? 2 : 6, roundS: quick ? 2 : 4 },
    cpus: plan,
    extraServiceAccounts: quick ? 200 : 1000,
    log,
  });
}
if (only.has('instructions')) {
  console.log('\n[1, counted] instructions per credential GET under callgrind');
  results.instructions = await benchInstructions({
    tool,
    connections: Number(values.connections),
    rounds: quick ? 2 : 6,
    warmRounds: quick ? 1 : 3,
    roundS: quick ? 3 : 10,
    extraServiceAccounts: quick ? 50 : 1000,
    cpus: plan,
    log,
  });
}
if (only.has('memory')) {
  console.log('\n[3] memory per pod and per annotated ServiceAccount');
  results.memory = await benchMemory({ pods: quick ? [1000, 10_000] : [10_000, 100_000], serviceAccounts: quick ? 1000 : 10_000, log });
}
if (only.has('sts')) {
  console.log('\n[4] STS economy');
  results.sts = await benchStsEconomy({ roles: quick ? [100] : [100, 1000, 5000], stampede: 1000, refreshRoles: quick ? 50 : 200, cpus: plan, log });
}
if (only.has('latency')) {
  console.log('\n[5] event-to-answer latency');
  results.latency = await benchEventLatency({ samples: quick ? 50 : 300, cpus: plan, log });
}

console.log(`\n${renderReport(results)}`);
const out = resolve(values.out);
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`results written to ${out}`);
