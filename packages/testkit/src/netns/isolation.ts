/**
 * A guard for tests that run real AWS clients: they must run in a private network namespace whose only interface
 * is loopback, so that nothing they do can reach a real AWS endpoint or the instance metadata address. The
 * project's test runner provides that namespace (`unshare -n`, then `ip link set lo up`).
 *
 * The interfaces are read from /proc/self/net/dev, which belongs to the calling process's network namespace.
 * /sys/class/net would be wrong: it shows the namespace of whoever mounted sysfs, so inside `unshare -n` it still
 * lists the host's eth0.
 */
import { readFileSync } from 'node:fs';

export const PROC_NET_DEV = '/proc/self/net/dev';

/** Interface names from a /proc/net/dev table (two header lines, then `name: counters...`), sorted. */
export function parseNetDev(table: string): string[] {
  return table
    .split('\n')
    .slice(2)
    .map((line) => line.split(':')[0]?.trim() ?? '')
    .filter((name) => name !== '')
    .sort();
}

/** The network interfaces of the current network namespace, sorted. */
export function networkInterfaces(procNetDev = PROC_NET_DEV): string[] {
  return parseNetDev(readFileSync(procNetDev, 'utf8'));
}

/** Throws unless `lo` is the only network interface (i.e. we run inside an isolated network namespace). */
export function assertIsolatedNetwork(procNetDev = PROC_NET_DEV): void {
  const interfaces = networkInterfaces(procNetDev);
  if (interfaces.length !== 1 || interfaces[0] !== 'lo') {
    throw new Error(
      `refusing to run real AWS clients outside an isolated network namespace: interfaces are [${interfaces.join(', ')}], ` +
        "expected only [lo]; run under `unshare -n sh -c 'ip link set lo up; ...'`",
    );
  }
}
