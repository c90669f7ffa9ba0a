import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CPUIDLE_DRIVER, HALT_POLL_PARAM, parseHaltPollNs, readGuestIdle, setGuestHaltPoll } from './guest-halt-poll.js';

function fakeRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'halt-poll-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('the driver and the poll are read as the kernel writes them', (t) => {
  t.deepEqual(readGuestIdle(fakeRoot({ [CPUIDLE_DRIVER]: 'haltpoll\n', [HALT_POLL_PARAM]: '0\n' })), { cpuidleDriver: 'haltpoll', haltPollNs: 0 });
  t.deepEqual(readGuestIdle(fakeRoot({ [CPUIDLE_DRIVER]: 'intel_idle\n' })), { cpuidleDriver: 'intel_idle', haltPollNs: undefined });
  // The module's parameter without its driver in use polls nothing.
  t.deepEqual(readGuestIdle(fakeRoot({ [CPUIDLE_DRIVER]: 'none\n', [HALT_POLL_PARAM]: '200000\n' })), { cpuidleDriver: 'none', haltPollNs: undefined });
  t.deepEqual(readGuestIdle(fakeRoot({})), { cpuidleDriver: undefined, haltPollNs: undefined });
});

test('setting the poll returns what puts the previous value back, once', (t) => {
  const root = fakeRoot({ [CPUIDLE_DRIVER]: 'haltpoll\n', [HALT_POLL_PARAM]: '0\n' });
  const restore = setGuestHaltPoll(200000, root);
  t.is(readFileSync(join(root, HALT_POLL_PARAM), 'utf8'), '200000');
  restore();
  t.is(readFileSync(join(root, HALT_POLL_PARAM), 'utf8'), '0');
  writeFileSync(join(root, HALT_POLL_PARAM), '5');
  restore(); // a second call does not undo a later change
  t.is(readFileSync(join(root, HALT_POLL_PARAM), 'utf8'), '5');
});

test('a machine without the haltpoll driver is refused with a reason', (t) => {
  t.regex(t.throws(() => setGuestHaltPoll(200000, fakeRoot({}))).message, /driver in use is unknown, not haltpoll/);
  const other = fakeRoot({ [CPUIDLE_DRIVER]: 'none\n', [HALT_POLL_PARAM]: '200000\n' });
  t.regex(t.throws(() => setGuestHaltPoll(0, other)).message, /driver in use is none, not haltpoll/);
  t.is(readFileSync(join(other, HALT_POLL_PARAM), 'utf8'), '200000\n');
});

test('the option takes whole nanoseconds up to 10 ms', (t) => {
  t.is(parseHaltPollNs('200000'), 200000);
  t.is(parseHaltPollNs('0'), 0);
  for (const bad of ['', '-1', '2e5', '200000ns', '1.5', '10000001']) t.throws(() => parseHaltPollNs(bad), { message: /whole number of nanoseconds/ }, bad);
});
