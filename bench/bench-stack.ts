/**
 * The system under test for the benchmarks: the Kubernetes API emulator and the STS emulator in this process, the
 * real server binary (packages/server/dist) as a child process, optionally pinned to one CPU so that it never
 * shares a core with the load generator.
 */
import { spawnSync } from 'node:child_process';
import { startSeededStack, type SeededStack, type SeededStackOptions } from '@iam4kube/testkit';

export interface BenchStackOptions extends Omit<SeededStackOptions, 'spawned' | 'kubeFront'> {
  /** Pin the server (all its threads) to this CPU. */
  readonly cpu?: number | undefined;
}

export type BenchStack = SeededStack;

export async function startBenchStack(o: BenchStackOptions = {}): Promise<BenchStack> {
  const { cpu, ...rest } = o;
  return startSeededStack({ ...rest, ...(cpu === undefined ? {} : { spawned: (server) => pinProcess(server.child.pid!, cpu) }) });
}

/** Pins every thread of a process to one CPU. */
export function pinProcess(pid: number, cpu: number): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset failed: ${r.stderr}`);
}

/** The CPUs to use: server on the last, load generator on the first; none when there is a single CPU. */
export function cpuPlan(cpus: number): { server: number | undefined; load: number | undefined } {
  return cpus >= 2 ? { server: cpus - 1, load: 0 } : { server: undefined, load: undefined };
}

