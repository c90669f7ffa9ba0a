import type { Clock, Probes } from '@iam4kube/shared';

/** The runner's state the probes read. */
export interface SyncStatus {
  /** Clock ms when the last successful sync finished; undefined before the first one. */
  readonly lastSuccessAt: number | undefined;
  readonly consecutiveFailures: number;
}

export interface SyncProbesOptions {
  readonly clock: Clock;
  /** When the agent started: the age that counts before the first successful sync. */
  readonly startedAt: number;
  readonly maxSyncAgeMs: number;
  readonly status: () => SyncStatus;
}

/**
 * Liveness fails when the rules have not been synced successfully for longer than the bound (iptables broken, the
 * agent wedged): a restart may help, and the failing probe makes it visible. Readiness means the rules are in place:
 * true from the first successful sync on.
 */
export function createSyncProbes(options: SyncProbesOptions): Probes {
  const read = (): { ageMs: number; synced: boolean; detail: Record<string, unknown> } => {
    const status = options.status();
    const ageMs = syncAgeMs(options.clock, options.startedAt, status);
    const synced = status.lastSuccessAt !== undefined;
    return { ageMs, synced, detail: { synced, syncAgeSeconds: ageMs / 1000, consecutiveFailures: status.consecutiveFailures } };
  };
  return {
    health() {
      const { ageMs, detail } = read();
      return { ok: ageMs <= options.maxSyncAgeMs, detail };
    },
    ready() {
      const { synced, detail } = read();
      return { ok: synced, detail };
    },
  };
}

/** Milliseconds since the last successful sync, or since the start while there has been none. */
export function syncAgeMs(clock: Clock, startedAt: number, status: SyncStatus): number {
  return clock.now() - (status.lastSuccessAt ?? startedAt);
}
