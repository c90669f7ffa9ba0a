import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@iam4kube/shared';
import { parseServerArgs } from '../src/config.js';
import { checkServerFiles } from '../src/check-config.js';

const dir = mkdtempSync(join(tmpdir(), 'iam4kube-check-config-'));
const config = (...argv: string[]) => {
  const parsed = parseServerArgs(argv, {});
  if (parsed.kind !== 'run') throw new Error('expected run');
  return parsed.values;
};

test('--check-config is a boolean flag, off by default', (t) => {
  t.false(config().checkConfig);
  t.true(config('--check-config').checkConfig);
});

test('without --token-key-file there is no file to check', (t) => {
  t.notThrows(() => checkServerFiles(config('--check-config')));
});

test('a readable token key of at least 16 bytes passes', (t) => {
  const path = join(dir, 'good');
  writeFileSync(path, 'a'.repeat(32));
  t.notThrows(() => checkServerFiles(config('--check-config', `--token-key-file=${path}`)));
});

test('a missing token key file is a ConfigError naming the file', (t) => {
  const path = join(dir, 'missing');
  const err = t.throws(() => checkServerFiles(config('--check-config', `--token-key-file=${path}`)), { instanceOf: ConfigError });
  t.regex(err!.message, /cannot read --token-key-file .*missing: ENOENT/);
});

test('a token key shorter than 16 bytes is a ConfigError', (t) => {
  const path = join(dir, 'short');
  writeFileSync(path, 'short');
  t.throws(() => checkServerFiles(config('--check-config', `--token-key-file=${path}`)), { instanceOf: ConfigError, message: /fewer than 16 bytes/ });
});
