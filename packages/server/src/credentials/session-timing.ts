const MINUTE = 60_000;

/**
 * The least remaining life we want every served credential to have. botocore (Python) treats instance-metadata
 * credentials that expire within its refresh window as stale and rewrites their expiry to now + that window, so it
 * keeps using credentials past their real expiry when we hand out ones with less life than the window. The window
 * is 10 min + 2-10 min of jitter in botocore 1.29 and 1.43 (`InstanceMetadataFetcher._evaluate_expiration`); we
 * use the more cautious 15 min + up to 10 min, plus a minute.
 */
export const BOTOCORE_SAFE_LIFE_MS = 26 * MINUTE;

/**
 * Credentials with less life than this are never served: the JS SDK v3 treats credentials within 5 minutes of
 * expiry as expired (@smithy/core EXPIRATION_MS), and it covers clock skew between nodes.
 */
export const SAFETY_MARGIN_MS = 5 * MINUTE;

/** Refreshes happen between 0 and this fraction of the refresh interval early, so a fleet spreads out. */
export const REFRESH_JITTER = 0.2;

/** The longest session STS grants under role chaining, and the default MaxSessionDuration of a role. */
export const ONE_HOUR_SECONDS = 3600;

export interface SessionTiming {
  readonly sessionDurationMs: number;
  /** Refresh when this much life is left: the configured value, at most half the session. */
  readonly refreshBeforeMs: number;
  /** Start-up warnings about the configuration, for the log. */
  readonly warnings: readonly string[];
}

/** Effective timing from the flags; never fails, but says when SDKs may misbehave. */
export function resolveSessionTiming(configured: { readonly sessionDurationMs: number; readonly refreshBeforeMs: number }): SessionTiming {
  const { sessionDurationMs } = configured;
  const warnings: string[] = [];
  let refreshBeforeMs = configured.refreshBeforeMs;
  if (refreshBeforeMs > sessionDurationMs / 2) {
    refreshBeforeMs = Math.floor(sessionDurationMs / 2);
    warnings.push(
      `--refresh-before ${min(configured.refreshBeforeMs)} is more than half of --session-duration ${min(sessionDurationMs)}: ` +
        `refreshing when ${min(refreshBeforeMs)} are left instead, so that no session is refreshed more often than every half-session`,
    );
  }
  const floor = SAFETY_MARGIN_MS + MINUTE;
  if (refreshBeforeMs < floor) {
    refreshBeforeMs = floor;
    warnings.push(`--refresh-before is raised to ${min(floor)}: credentials must be refreshed before the last ${min(SAFETY_MARGIN_MS)}, when they are no longer served`);
  }
  if (refreshBeforeMs < BOTOCORE_SAFE_LIFE_MS) {
    const needed = 2 * BOTOCORE_SAFE_LIFE_MS;
    warnings.push(
      `credentials will be served with as little as ${min(refreshBeforeMs)} of life left; botocore (Python SDKs, AWS CLI) ` +
        `treats credentials with less than ~${min(BOTOCORE_SAFE_LIFE_MS)} left as expiring and may keep using them after ` +
        `they expire. Use --refresh-before of at least ${min(BOTOCORE_SAFE_LIFE_MS)}` +
        (sessionDurationMs < needed ? ` and --session-duration of at least ${min(needed)} (default 1h)` : ''),
    );
  }
  return { sessionDurationMs, refreshBeforeMs, warnings };
}

/**
 * When to refresh credentials that have `lifeMs` left: once `refreshBeforeMs` is left, minus jitter of up to
 * REFRESH_JITTER of the interval. When STS granted less than asked, at the latest half-way through their life.
 */
export function refreshDelayMs(lifeMs: number, refreshBeforeMs: number, random: number): number {
  const interval = Math.max(lifeMs - refreshBeforeMs, lifeMs / 2);
  return Math.max(0, Math.round(interval * (1 - REFRESH_JITTER * random)));
}

/** Capped exponential backoff with "equal jitter": between half and all of min(cap, initial * 2^attempt). */
export function backoffDelayMs(attempt: number, initialMs: number, capMs: number, random: number): number {
  const ceiling = Math.min(capMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random * ceiling) / 2);
}

function min(ms: number): string {
  const m = ms / MINUTE;
  return Number.isInteger(m) ? `${m}m` : `${Math.round(ms / 1000)}s`;
}
