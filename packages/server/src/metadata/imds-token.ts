import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const MAX_TOKEN_TTL_SECONDS = 21600;

/**
 * What a presented token turned out to be. `foreign`: well-formed, but signed with a key this replica does not hold
 * (another replica without the same --token-key-file, or this replica before a restart without one).
 */
export type TokenCheck = 'valid' | 'invalid' | 'expired' | 'foreign';

/**
 * Stateless IMDSv2 session tokens: the expiry and the caller's IP are bound in and signed with a key the replicas
 * share, so a token issued by one replica is valid on every other (ip2service spreads one SDK's calls across them).
 * A token also names its key by a fingerprint, so a replica can tell a token it cannot check (`foreign`) from a
 * forged or damaged one (`invalid`).
 */
export interface TokenSigner {
  /** A fingerprint of the signing key: safe to log, the same on every replica that shares the key. */
  readonly keyId: string;
  issue(callerIp: string, ttlSeconds: number, nowMs: number): string;
  verify(token: string, callerIp: string, nowMs: number): TokenCheck;
  /** For a token verify() finds valid now: the time from which it is expired (skew tolerance included); else undefined. */
  validUntil(token: string, callerIp: string, nowMs: number): number | undefined;
}

export interface TokenSignerOptions {
  /** The shared key; a random one (valid on this replica only) when absent. */
  readonly key?: Buffer;
  /** How far past its expiry a token is still accepted, for clock skew between replicas (default 5 s). */
  readonly skewToleranceMs?: number;
  /** Valid tokens remembered (per caller IP) so that a token seen before costs no HMAC (default 10,000). */
  readonly cacheSize?: number;
}

const FORMAT = /^i4k1\.([A-Za-z0-9_-]{11})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;
/** Longer than any token we issue: checked before the regular expression so a huge header costs nothing. */
const MAX_TOKEN_LENGTH = 80;

export function createTokenSigner(options: TokenSignerOptions = {}): TokenSigner {
  const key = options.key ?? randomBytes(32);
  const skew = options.skewToleranceMs ?? 5000;
  const keyId = createHash('sha256').update('iam4kube imds token key id\0').update(key).digest('base64url').slice(0, 11);
  const sign = (expires: string, ip: string): Buffer => createHmac('sha256', key).update(`i4k1|${keyId}|${expires}|${ip}`).digest();
  // Token and IP of a signature already checked -> the time from which it is expired. A verdict depends only on
  // these and the clock, so a remembered one is exactly what checking again would say, without the HMAC (SDKs send
  // the same token with every request for hours). Bounded: past the size, the oldest is forgotten.
  const verified = new Map<string, number>();
  const cacheSize = options.cacheSize ?? 10_000;
  // The last valid token of each caller IP, checked first: the IP string is the socket's own (its hash is computed
  // once), and comparing the token with the remembered one costs less than hashing IP and token together.
  const lastByIp = new Map<string, { readonly token: string; readonly expiredFrom: number }>();
  const remember = (ip: string, token: string, expiredFrom: number): void => {
    if (lastByIp.size >= cacheSize && !lastByIp.has(ip)) lastByIp.delete(lastByIp.keys().next().value!);
    lastByIp.set(ip, { token, expiredFrom });
  };
  const verify = (token: string, callerIp: string, nowMs: number): TokenCheck => {
    if (token.length > MAX_TOKEN_LENGTH) return 'invalid';
    const last = lastByIp.get(callerIp);
    if (last !== undefined && last.token === token) {
      if (last.expiredFrom > nowMs) return 'valid';
      lastByIp.delete(callerIp);
    }
    const seen = `${callerIp} ${token}`;
    const remembered = verified.get(seen);
    if (remembered !== undefined) {
      if (remembered > nowMs) {
        remember(callerIp, token, remembered);
        return 'valid';
      }
      verified.delete(seen);
      return 'expired';
    }
    const m = FORMAT.exec(token);
    if (!m) return 'invalid';
    if (m[1] !== keyId) return 'foreign';
    const expected = sign(m[2]!, callerIp);
    const given = Buffer.from(m[3]!, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    const expiredFrom = Number(m[2]) * 1000 + skew;
    if (expiredFrom <= nowMs) return 'expired';
    if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
    verified.set(seen, expiredFrom);
    remember(callerIp, token, expiredFrom);
    return 'valid';
  };
  return {
    keyId,
    issue(callerIp, ttlSeconds, nowMs) {
      // Rounded up: this replica never considers a token expired before the client does.
      const expires = String(Math.ceil((nowMs + ttlSeconds * 1000) / 1000));
      return `i4k1.${keyId}.${expires}.${sign(expires, callerIp).toString('base64url')}`;
    },
    verify,
    validUntil(token, callerIp, nowMs) {
      // A valid token is always its caller's last one (every valid verdict remembers it).
      return verify(token, callerIp, nowMs) === 'valid' ? lastByIp.get(callerIp)?.expiredFrom : undefined;
    },
  };
}

/** Parses the TTL header: an integer from 1 to 21600, as real IMDS requires. */
export function parseTokenTtl(header: string | undefined): number | undefined {
  if (header === undefined || !/^\d{1,5}$/.test(header.trim())) return undefined;
  const ttl = Number(header.trim());
  return ttl >= 1 && ttl <= MAX_TOKEN_TTL_SECONDS ? ttl : undefined;
}
