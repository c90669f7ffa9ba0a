import test from 'ava';

import type { Exec } from '../src/exec.js';
import { createIptablesCli, detectIptablesMode } from '../src/iptables-cli.js';
import { IptablesError } from '../src/iptables.js';
import { FakeIptables } from './fake-iptables.js';
import { fakeIptablesExec } from './fake-iptables-exec.js';

const COMMENTED = ['-d', '169.254.169.254/32', '-p', 'tcp', '-m', 'tcp', '--dport', '80', '-m', 'comment', '--comment', 'ns/svc: metadata traffic', '-j', 'IP2SVC-FILTER'];

test('runs the binaries of its mode and family, always with -w', async (t) => {
  const fake = new FakeIptables();
  const calls: string[][] = [];
  const iptables = createIptablesCli({ exec: fakeIptablesExec(fake, 'iptables-legacy', calls), family: 'IPv4', mode: 'legacy' });
  await iptables.restore('*filter\n:IP2SVC-FILTER - [0:0]\nCOMMIT\n', { noflush: true });
  await iptables.insertRule('filter', 'FORWARD', 1, COMMENTED);
  t.deepEqual(calls, [
    ['iptables-legacy-restore', '-w', '--noflush'],
    ['iptables-legacy', '-w', '-t', 'filter', '-I', 'FORWARD', '1', ...COMMENTED],
  ]);
  const v6calls: string[][] = [];
  const v6 = createIptablesCli({ exec: fakeIptablesExec(new FakeIptables('IPv6'), 'ip6tables-nft', v6calls), family: 'IPv6', mode: 'nft' });
  t.deepEqual(await v6.listChains('nat'), ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']);
  t.is(v6.family, 'IPv6');
  t.deepEqual(v6calls, [['ip6tables-nft', '-w', '-t', 'nat', '-S']]);
});

test('reads chains and rules back from -S output, quoted comments included', async (t) => {
  const fake = new FakeIptables();
  const iptables = createIptablesCli({ exec: fakeIptablesExec(fake, 'iptables-nft'), family: 'IPv4', mode: 'nft' });
  await iptables.restore('*filter\n:IP2SVC-FILTER - [0:0]\n-A IP2SVC-FILTER -j RETURN\nCOMMIT\n', { noflush: true });
  await iptables.insertRule('filter', 'FORWARD', 1, COMMENTED);
  t.deepEqual(await iptables.listChains('filter'), ['INPUT', 'FORWARD', 'OUTPUT', 'IP2SVC-FILTER']);
  t.deepEqual(await iptables.listRules('filter', 'FORWARD'), [COMMENTED]);
  t.deepEqual(await iptables.listRules('filter', 'IP2SVC-FILTER'), [['-j', 'RETURN']]);
  t.true(await iptables.checkRule('filter', 'FORWARD', COMMENTED));
  t.false(await iptables.checkRule('filter', 'FORWARD', ['-j', 'IP2SVC-FILTER']));
  await iptables.deleteRule('filter', 'FORWARD', COMMENTED);
  t.deepEqual(await iptables.listRules('filter', 'FORWARD'), []);
});

test('failures become IptablesErrors with the command line and the message', async (t) => {
  const fake = new FakeIptables();
  const iptables = createIptablesCli({ exec: fakeIptablesExec(fake, 'iptables-nft'), family: 'IPv4', mode: 'nft' });
  const missing = await t.throwsAsync(iptables.listRules('filter', 'NOPE'), { instanceOf: IptablesError });
  t.is(missing?.message, 'iptables-nft -w -t filter -S NOPE exited with 1: iptables: No chain/target/match by that name.');
  await t.throwsAsync(iptables.deleteRule('filter', 'FORWARD', ['-j', 'ACCEPT']), { message: /Bad rule/ });
  const restore = await t.throwsAsync(iptables.restore('*nat\n:IP2SVC-PREROUTING - [0:0]\n-A IP2SVC-PREROUTING -j NOPE\nCOMMIT\n', { noflush: true }), {
    instanceOf: IptablesError,
  });
  t.is(restore?.line, 3);
  t.regex(restore?.message ?? '', /^iptables-nft-restore -w --noflush exited with 1: .*line 3 failed.*\n.*\n.*\n> {4}3 {2}-A IP2SVC-PREROUTING -j NOPE\n/);
});

test('checkRule treats exit 1 as "absent" but other exit codes as errors', async (t) => {
  const exec: Exec = async () => ({ code: 2, stdout: '', stderr: 'iptables v1.8.9 (nf_tables): unknown option "--bogus"\n' });
  const iptables = createIptablesCli({ exec, family: 'IPv4', mode: 'nft' });
  await t.throwsAsync(iptables.checkRule('filter', 'FORWARD', ['--bogus']), { message: /exited with 2: .*--bogus/ });
});

/** An exec that knows the output of some *-save commands; other programs are missing. */
function saves(outputs: Record<string, string>): Exec {
  return async (file, args) => {
    const key = [file, ...args].join(' ');
    if (!(key in outputs)) throw Object.assign(new Error(`spawn ${file} ENOENT`), { code: 'ENOENT' });
    return { code: 0, stdout: outputs[key]!, stderr: '' };
  };
}

const rules = (n: number): string => `*filter\n:INPUT ACCEPT [0:0]\n${'-A INPUT -j ACCEPT\n'.repeat(n)}COMMIT\n`;
const HINT = '*mangle\n:PREROUTING ACCEPT [0:0]\n:KUBE-IPTABLES-HINT - [0:0]\nCOMMIT\n';

test('mode detection: the kubelet hint chain wins, nft first', async (t) => {
  t.is(await detectIptablesMode(saves({ 'iptables-legacy-save -t mangle': HINT, 'iptables-legacy-save': rules(50) })), 'legacy');
  t.is(await detectIptablesMode(saves({ 'iptables-nft-save -t mangle': HINT, 'iptables-legacy-save': rules(50) })), 'nft');
  t.is(await detectIptablesMode(saves({ 'ip6tables-nft-save -t mangle': HINT, 'iptables-legacy-save': rules(50) })), 'nft');
});

test('mode detection without hint: legacy when it has 10 rules or more than nft, else nft', async (t) => {
  t.is(await detectIptablesMode(saves({ 'iptables-legacy-save': rules(10), 'iptables-nft-save': rules(40) })), 'legacy');
  t.is(await detectIptablesMode(saves({ 'iptables-legacy-save': rules(3), 'ip6tables-legacy-save': rules(2), 'iptables-nft-save': rules(4) })), 'legacy');
  t.is(await detectIptablesMode(saves({ 'iptables-legacy-save': rules(3), 'iptables-nft-save': rules(4) })), 'nft');
  t.is(await detectIptablesMode(saves({})), 'nft', 'nothing anywhere: nft, the default of current distributions');
});
