/**
 * Identifiers in AWS's formats: access key ids (`ASIA` + 16 base32 characters for temporary keys), 40-character
 * secrets, opaque session tokens, and the stable unique ids of roles (`AROA...`) and users (`AIDA...`).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** Source of randomness, injectable so tests can make ids deterministic. */
export type RandomSource = (size: number) => Uint8Array;

export const cryptoRandom: RandomSource = (size) => randomBytes(size);

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const UNIQUE_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function pick(bytes: Uint8Array, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[(bytes[i] ?? 0) % alphabet.length];
  return out;
}

/** A temporary access key id: `ASIA` + 16 characters, 20 in all. */
export function newTemporaryAccessKeyId(random: RandomSource = cryptoRandom): string {
  return `ASIA${pick(random(16), BASE32, 16)}`;
}

/** A 40-character secret access key. */
export function newSecretAccessKey(random: RandomSource = cryptoRandom): string {
  return pick(random(40), SECRET_ALPHABET, 40);
}

/** An opaque session token; like AWS's, it is long base64 and contains `+`, `/` and `=` now and then. */
export function newSessionToken(random: RandomSource = cryptoRandom): string {
  return `IQoJb3JpZ2luX2VjE${Buffer.from(random(300)).toString('base64')}`;
}

function stableId(prefix: string, seed: string): string {
  return `${prefix}${pick(createHash('sha256').update(seed).digest(), UNIQUE_ID_ALPHABET, 17)}`;
}

/** The unique id of a role (`AROA` + 17 characters), stable for a given ARN as it is in IAM. */
export function roleUniqueId(roleArn: string): string {
  return stableId('AROA', roleArn);
}

/** The unique id of an IAM user (`AIDA` + 17 characters), stable for a given ARN. */
export function userUniqueId(userArn: string): string {
  return stableId('AIDA', userArn);
}

export function newRequestId(): string {
  return randomUUID();
}
