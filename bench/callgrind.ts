/**
 * Instruction counts of a running process, from valgrind's callgrind (Debian's `valgrind` package: `valgrind` and
 * `callgrind_control`). Callgrind counts the instructions a process executes in user space, per thread, and the count
 * is the same for the same code and the same input whatever else the machine is doing; the kernel's work (system
 * calls, interrupts) is not in it. A process started under `callgrindLauncher` keeps its pid; its counters are zeroed
 * and read while it runs, so a window of load is counted on its own.
 */
import { spawnSync } from 'node:child_process';

/** The version valgrind prints (e.g. "valgrind-3.19.0"), or undefined when valgrind or callgrind_control is missing. */
export function valgrindVersion(): string | undefined {
  const v = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) return undefined;
  return spawnSync('callgrind_control', ['--version'], { encoding: 'utf8' }).error ? undefined : v.stdout.trim();
}

/**
 * The command to put before `node ...`. `--smc-check=all-non-file`: V8 writes and patches machine code in anonymous
 * memory as it compiles, and valgrind must check that code for changes or it runs stale translations. The profile
 * callgrind writes at exit is not wanted (the counts are read while the process runs), nor its banner.
 */
export function callgrindLauncher(): string[] {
  return ['valgrind', '--quiet', '--tool=callgrind', '--smc-check=all-non-file', '--callgrind-out-file=/dev/null'];
}

/** Sets every counter of a running process to zero. */
export function zeroCounts(pid: number): void {
  control(pid, '--zero');
}

export interface ThreadCounts {
  /** Instructions executed since the counters were zeroed, all threads. */
  readonly total: number;
  /** Of which the first thread's (the process's main thread: Node's event loop). */
  readonly mainThread: number;
}

/** Instructions the process has executed since its counters were last zeroed. */
export function readCounts(pid: number): ThreadCounts {
  const counts = parseThreadCounts(control(pid, '-e'));
  if (!counts) throw new Error(`callgrind_control -e ${pid} printed no instruction counts`);
  return counts;
}

/**
 * The instruction counts in what `callgrind_control -e` prints: a `Totals:` header naming the events (Ir first, the
 * default), then a line per thread (`Th 1  109,165,955`). Undefined when there is no such table.
 */
export function parseThreadCounts(text: string): ThreadCounts | undefined {
  const lines = text.split('\n');
  const header = lines.findIndex((l) => /^\s*Totals:\s+Ir\b/.test(l));
  if (header < 0) return undefined;
  const threads: number[] = [];
  for (const line of lines.slice(header + 1)) {
    const m = /^\s*Th\s*(\d+)\s+([\d,]+)/.exec(line);
    if (!m) break;
    threads[Number(m[1])] = Number(m[2]!.replaceAll(',', ''));
  }
  if (threads[1] === undefined) return undefined;
  return { total: threads.reduce((sum, n) => sum + (n ?? 0), 0), mainThread: threads[1] };
}

function control(pid: number, command: '--zero' | '-e'): string {
  const r = spawnSync('callgrind_control', [command, String(pid)], { encoding: 'utf8' });
  // It exits 0 even when no callgrind process has that pid, and says so on stdout.
  if (r.error || r.status !== 0 || /^Error:/m.test(r.stdout)) {
    throw new Error(`callgrind_control ${command} ${pid} failed: ${(r.error?.message ?? `${r.stderr}${r.stdout}`).trim()}`);
  }
  return r.stdout;
}
