import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@iam4kube/shared';
import { readTokenKey } from '../../src/metadata/token-key-file.js';

const dir = mkdtempSync(join(tmpdir(), 'iam4kube-key-'));

test('the whole file is the key, binary or text', (t) => {
  const path = join(dir, 'key');
  const bytes = Buffer.from([0, 1, 2, 10, 13, 255, ...Array.from({ length: 20 }, (_, i) => i)]);
  writeFileSync(path, bytes);
  t.deepEqual(readTokenKey(path), bytes);
});

test('a missing or short key file is a ConfigError naming the file', (t) => {
  const short = join(dir, 'short');
  writeFileSync(short, 'too short');
  const e1 = t.throws(() => readTokenKey(short), { instanceOf: ConfigError });
  t.regex(e1.message, /short holds fewer than 16 bytes/);
  const e2 = t.throws(() => readTokenKey(join(dir, 'missing')), { instanceOf: ConfigError });
  t.regex(e2.message, /cannot read --token-key-file .*missing: ENOENT/);
});
