import test from 'ava';
import { MAX_SESSION_NAME, sessionNameFor } from '../../src/identity/session-name.js';

test('short names are namespace@serviceaccount', (t) => {
  t.is(sessionNameFor('demo', 'app'), 'demo@app');
});

test('exactly 64 characters are kept as they are', (t) => {
  const ns = 'n'.repeat(31);
  const sa = 's'.repeat(32);
  t.is(sessionNameFor(ns, sa), `${ns}@${sa}`);
  t.is(sessionNameFor(ns, sa).length, 64);
});

test('65 characters and more get a readable prefix and a stable hash, 64 long', (t) => {
  const ns = 'n'.repeat(32);
  const sa = 's'.repeat(32);
  const name = sessionNameFor(ns, sa);
  t.is(name.length, MAX_SESSION_NAME);
  t.true(name.startsWith(`${ns}@`));
  t.regex(name, /-[0-9a-f]{8}$/);
  t.is(sessionNameFor(ns, sa), name, 'stable');
  t.not(sessionNameFor(ns, `${'s'.repeat(31)}t`), name, 'different names that share the prefix stay distinct');
  const long = sessionNameFor('x'.repeat(63), 'y'.repeat(253));
  t.is(long.length, 64);
  t.regex(long, /^[\w+=,.@-]+$/);
});
