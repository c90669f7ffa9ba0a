/**
 * Wake-up interrupts received by one CPU, from /proc/interrupts: RES (rescheduling) and CAL (function call, which
 * carries the scheduler's queued remote wake-ups). On a virtual machine each one costs the CPU that sends it an exit
 * to the hypervisor, and the sender here is the process under test: every answer that finds the load generator asleep
 * wakes it this way (docs/performance.md, "Waking the load generator").
 */
import { readFileSync } from 'node:fs';

const WAKEUP_LINES = ['RES', 'CAL'];

/** RES + CAL interrupts CPU `cpu` has received since boot, from the text of /proc/interrupts; NaN when absent. */
export function parseWakeupIpis(text: string, cpu: number): number {
  const lines = text.split('\n');
  // The header names the CPU columns ("CPU0 CPU1 ..."): offline CPUs have no column, so the index is looked up.
  const column = (lines[0] ?? '').trim().split(/\s+/).indexOf(`CPU${cpu}`);
  if (column < 0) return Number.NaN;
  let total = 0;
  let found = 0;
  for (const line of lines) {
    const fields = line.trim().split(/\s+/);
    if (!WAKEUP_LINES.includes(fields[0]?.replace(/:$/, '') ?? '')) continue;
    const count = Number(fields[1 + column]);
    if (!Number.isFinite(count)) return Number.NaN;
    total += count;
    found++;
  }
  return found === WAKEUP_LINES.length ? total : Number.NaN;
}

/** RES + CAL interrupts received by `cpu` so far; NaN without a CPU or without /proc/interrupts. */
export function wakeupIpis(cpu: number | undefined): number {
  if (cpu === undefined) return Number.NaN;
  try {
    return parseWakeupIpis(readFileSync('/proc/interrupts', 'utf8'), cpu);
  } catch {
    return Number.NaN;
  }
}
