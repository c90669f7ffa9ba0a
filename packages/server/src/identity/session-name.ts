import { createHash } from 'node:crypto';

/** STS's limit on RoleSessionName. */
export const MAX_SESSION_NAME = 64;
const HASH_CHARS = 8;

/**
 * The STS session name for a ServiceAccount: `namespace@serviceaccount`, which CloudTrail shows as the caller.
 * When that is longer than 64 characters, the first 55 are kept and the tail is replaced by `-` and 8 hex digits of
 * the SHA-256 of the full name: readable, stable, unique in practice, and exactly 64 long. Kubernetes names only use
 * [a-z0-9.-], all allowed by STS.
 */
export function sessionNameFor(namespace: string, serviceAccount: string): string {
  const full = `${namespace}@${serviceAccount}`;
  if (full.length <= MAX_SESSION_NAME) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, HASH_CHARS);
  return `${full.slice(0, MAX_SESSION_NAME - HASH_CHARS - 1)}-${hash}`;
}
