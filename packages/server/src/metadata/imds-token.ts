import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const MAX_TOKEN_TTL_SECONDS = 21600;

/**
 * Stateless IMDSv2 session tokens: the expiry and the caller's IP are bound in and signed with a key the replicas
 * share, so a token issued by one replica is valid on every other (ip2service spreads one SDK's calls across them).
 */
export interface TokenSigner {
  issue(callerIp: string, ttlSeconds: number, nowMs: number): string;
  verify(token: string, callerIp: string, nowMs: number): 'valid' | 'invalid' | 'expired';
}

export function createTokenSigner(key: Buffer = randomBytes(32)): TokenSigner {
  const sign = (payload: string): Buffer => createHmac('sha256', key).update(payload).digest();
  return {
    issue(callerIp, ttlSeconds, nowMs) {
      const expires = Math.floor(nowMs / 1000) + ttlSeconds;
      const payload = `${expires}|${callerIp}`;
      return `v1.${expires}.${sign(payload).toString('base64url')}`;
    },
    verify(token, callerIp, nowMs) {
      const m = /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
      if (!m) return 'invalid';
      const expected = sign(`${m[1]}|${callerIp}`);
      const given = Buffer.from(m[2]!, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
      return Number(m[1]) * 1000 <= nowMs ? 'expired' : 'valid';
    },
  };
}

/** Parses the TTL header: an integer from 1 to 21600, as real IMDS requires. */
export function parseTokenTtl(header: string | undefined): number | undefined {
  if (header === undefined || !/^\d{1,5}$/.test(header.trim())) return undefined;
  const ttl = Number(header.trim());
  return ttl >= 1 && ttl <= MAX_TOKEN_TTL_SECONDS ? ttl : undefined;
}
