/**
 * The guest kernel's idle polling (cpuidle-haltpoll), read for the report and, with `--guest-halt-poll-ns`, set for
 * the run. An idle CPU of a virtual machine halts; waking a task on it takes an inter-processor interrupt, an exit to
 * the hypervisor for the CPU that sends it. With halt polling an idle CPU first polls for up to this long, and a
 * wake-up meanwhile needs no interrupt. Linux's default is 200,000 ns; this project's VMs boot with 0
 * (`haltpoll.guest_halt_poll_ns=0`), which makes every answer that finds the load generator asleep pay that exit
 * (docs/performance.md, "Waking the load generator").
 */
import { readFileSync, writeFileSync } from 'node:fs';

export const HALT_POLL_PARAM = '/sys/module/haltpoll/parameters/guest_halt_poll_ns';
export const CPUIDLE_DRIVER = '/sys/devices/system/cpu/cpuidle/current_driver';

export interface GuestIdle {
  /** The cpuidle driver in use (`haltpoll`, `acpi_idle`, `intel_idle`, ...); undefined when unknown. */
  readonly cpuidleDriver: string | undefined;
  /**
   * The haltpoll driver's longest poll before halting, in ns; undefined when that driver is not the one in use (the
   * module's parameter can be there with another driver, or none, in use: seen on a guest whose driver was `none`).
   */
  readonly haltPollNs: number | undefined;
}

/** `root` prefixes the paths (tests). */
export function readGuestIdle(root = ''): GuestIdle {
  const read = (path: string): string | undefined => {
    try {
      return readFileSync(`${root}${path}`, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const driver = read(CPUIDLE_DRIVER);
  const ns = driver === 'haltpoll' ? read(HALT_POLL_PARAM) : undefined;
  return { cpuidleDriver: driver, haltPollNs: ns === undefined || !/^\d+$/.test(ns) ? undefined : Number(ns) };
}

/** Parses the option's value: a whole number of nanoseconds, at most 10 ms (the poll burns the idle CPU). */
export function parseHaltPollNs(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 10_000_000) {
    throw new Error(`--guest-halt-poll-ns must be a whole number of nanoseconds from 0 to 10000000 (Linux's default is 200000), not "${value}"`);
  }
  return Number(value);
}

/**
 * Sets the longest halt poll and returns the function that puts the previous value back. Throws a clear error when
 * the machine has no haltpoll driver or the parameter cannot be written (root is needed).
 */
export function setGuestHaltPoll(ns: number, root = ''): () => void {
  const path = `${root}${HALT_POLL_PARAM}`;
  const idle = readGuestIdle(root);
  const before = idle.haltPollNs;
  if (before === undefined) {
    throw new Error(`--guest-halt-poll-ns: the cpuidle driver in use is ${idle.cpuidleDriver ?? 'unknown'}, not haltpoll (a KVM guest's): this machine has no halt polling to set`);
  }
  try {
    writeFileSync(path, String(ns));
  } catch (err) {
    throw new Error(`--guest-halt-poll-ns: cannot write ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): run the bench as root`);
  }
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    writeFileSync(path, String(before));
  };
}
