import { readFileSync } from 'node:fs';
import { ConfigError } from '@iam4kube/shared';

export const MIN_TOKEN_KEY_BYTES = 16;

/**
 * Reads the IMDSv2 token key shared by the replicas (a Secret mounted as a file): its whole content is the key, so
 * a binary key and a text one (e.g. `openssl rand -base64 32`) both work. Read once, at start.
 */
export function readTokenKey(path: string): Buffer {
  let key: Buffer;
  try {
    key = readFileSync(path);
  } catch (err) {
    throw new ConfigError(`cannot read --token-key-file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (key.length < MIN_TOKEN_KEY_BYTES) throw new ConfigError(`--token-key-file ${path} holds fewer than ${MIN_TOKEN_KEY_BYTES} bytes`);
  return key;
}
