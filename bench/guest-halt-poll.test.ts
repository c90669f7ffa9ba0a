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
  t.deepEqual(readGuestIdle(fakeRoot({})), { cpuidleDriver: undefined, haltPollNs: undefined });
});

test('setting the poll returns what puts the previous value back, once', (t) => {
  const root = fakeRoot({ [HALT_POLL_PARAM]: '0\n' });
  const restore = setGuestHaltPoll(200000, root);
  t.is(readFileSync(join(root, HALT_POLL_PARAM), 'utf8'), '200000');
  restore();
  t.is(readFileSync(join(root, HALT_POLL_PARAM), 'utf8'), '0');
  writeFileSync(join(root, HALT_POLL_PARAM), '5');
  restore(); // a second call does not undo a later change
  t.is(readFileSync(join(root, HALT_POLL_PARAM), 'utf8'), '5');
});

test('a machine without the haltpoll driver is refused with a reason', (t) => {
  const err = t.throws(() => setGuestHaltPoll(200000, fakeRoot({})));
  t.regex(err.message, /no haltpoll cpuidle driver/);
});

test('the option takes whole nanoseconds up to 10 ms', (t) => {
  t.is(parseHaltPollNs('200000'), 200000);
  t.is(parseHaltPollNs('0'), 0);
  for (const bad of ['', '-1', '2e5', '200000ns', '1.5', '10000001']) t.throws(() => parseHaltPollNs(bad), { message: /whole number of nanoseconds/ }, bad);
});
