import { createHash } from 'node:crypto';

import type { Backend } from './endpoints.js';
import type { IpFamily } from './ip-family.js';
import { hostPort } from './ip-family.js';

/** The two tables we write to. */
export type Table = 'nat' | 'filter';

/** Every chain we own starts with this; we never create, flush or delete any other chain. */
export const CHAIN_PREFIX = 'IP2SVC-';
/** nat: jumped to from PREROUTING for metadata traffic; spreads it over the per-backend chains. */
export const NAT_CHAIN = `${CHAIN_PREFIX}PREROUTING`;
/** filter: jumped to from FORWARD and INPUT for metadata traffic; rejects whatever was not redirected. */
export const FILTER_CHAIN = `${CHAIN_PREFIX}FILTER`;
const ENDPOINT_CHAIN_PREFIX = `${CHAIN_PREFIX}SEP-`;

/** The built-in chains of each table: the only ones we add jump rules to, and scan for them on cleanup. */
export const BUILTIN_CHAINS: Readonly<Record<Table, readonly string[]>> = {
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

export function isOwnChain(name: string): boolean {
  return name.startsWith(CHAIN_PREFIX);
}

/**
 * `IP2SVC-SEP-` + the first 16 base32 characters of sha256("ip:port"), like kube-proxy's KUBE-SEP- chains: stable
 * across restarts and nodes, and 27 characters, within iptables' 28-character limit on chain names.
 */
export function endpointChainName(family: IpFamily, backend: Backend): string {
  const digest = createHash('sha256').update(hostPort(family, backend.ip, backend.port)).digest();
  return ENDPOINT_CHAIN_PREFIX + base32(digest.subarray(0, 10));
}

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding (10 bytes give exactly 16 characters). */
function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}
