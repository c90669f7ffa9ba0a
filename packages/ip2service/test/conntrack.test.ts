import test from 'ava';

import { flushConntrack } from '../src/conntrack.js';
import type { Exec } from '../src/exec.js';

/**
 * conntrack-tools 1.4.7 as it behaves: `-D` with filters prints "N flow entries have been deleted." on stderr and
 * exits 0 when it deleted some, 1 when none matched. This fake holds a flow table and applies the filters.
 */
function fakeConntrack(flows: Array<{ dst: string; proto: string; dport: number }>, calls: string[][] = []): Exec {
  return async (file, args) => {
    calls.push([file, ...args]);
    if (file !== 'conntrack') throw Object.assign(new Error(`spawn ${file} ENOENT`), { code: 'ENOENT' });
    const opt = (name: string): string | undefined => args[args.indexOf(name) + 1];
    if (args[0] !== '-D') return { code: 2, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): unknown command\n' };
    const match = (f: { dst: string; proto: string; dport: number }): boolean =>
      f.dst === opt('-d') && f.proto === opt('-p') && String(f.dport) === opt('--dport');
    const deleted = flows.filter(match).length;
    flows.splice(0, flows.length, ...flows.filter((f) => !match(f)));
    return { code: deleted > 0 ? 0 : 1, stdout: '', stderr: `conntrack v1.4.7 (conntrack-tools): ${deleted} flow entries have been deleted.\n` };
  };
}

const TARGET = { address: '169.254.169.254', port: 80 };

test('deletes the TCP flows to the metadata address and port, and only those', async (t) => {
  const flows = [
    { dst: '169.254.169.254', proto: 'tcp', dport: 80 },
    { dst: '169.254.169.254', proto: 'tcp', dport: 80 },
    { dst: '169.254.169.254', proto: 'tcp', dport: 8080 },
    { dst: '10.0.0.1', proto: 'tcp', dport: 80 },
  ];
  const calls: string[][] = [];
  t.deepEqual(await flushConntrack(fakeConntrack(flows, calls), TARGET), { kind: 'flushed', entries: 2 });
  t.deepEqual(calls, [['conntrack', '-D', '-d', '169.254.169.254', '-p', 'tcp', '--dport', '80']]);
  t.is(flows.length, 2);
  t.deepEqual(await flushConntrack(fakeConntrack(flows), TARGET), { kind: 'nothing' }, 'exit 1 with nothing deleted is fine');
});

test('a missing binary and a real failure are told apart', async (t) => {
  const missing: Exec = async () => {
    throw Object.assign(new Error('spawn conntrack ENOENT'), { code: 'ENOENT' });
  };
  t.deepEqual(await flushConntrack(missing, TARGET), { kind: 'missing' });
  const denied: Exec = async () => ({ code: 1, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): Operation failed: Operation not permitted\n' });
  const result = await flushConntrack(denied, TARGET);
  t.is(result.kind, 'failed');
  t.regex((result as { message: string }).message, /exited with 1: .*Operation not permitted/);
});
