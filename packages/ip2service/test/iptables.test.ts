import test from 'ava';

import { IptablesError, restoreError } from '../src/iptables.js';

const INPUT = ['*nat', ':IP2SVC-PREROUTING - [0:0]', '-A IP2SVC-PREROUTING -j NOPE', '-A IP2SVC-PREROUTING -j RETURN', 'COMMIT', ''].join('\n');
const command = ['iptables-nft-restore', '-w', '--noflush'];

test('legacy form "line N failed": the blamed line is marked, with two lines either side', (t) => {
  const error = restoreError({ command, exitCode: 1, stderr: 'iptables-restore: line 3 failed\n', input: INPUT });
  t.is(error.line, 3);
  t.is(
    error.context,
    [
      '     1  *nat',
      '     2  :IP2SVC-PREROUTING - [0:0]',
      '>    3  -A IP2SVC-PREROUTING -j NOPE',
      '     4  -A IP2SVC-PREROUTING -j RETURN',
      '     5  COMMIT',
    ].join('\n'),
  );
  t.is(error.message, `iptables-nft-restore -w --noflush exited with 1: iptables-restore: line 3 failed\n${error.context}`);
});

test('nft forms: "Error occurred at line: N" and "line N: CHAIN_DEL failed"; warnings and usage hints are skipped', (t) => {
  const stderr = [
    '# Warning: iptables-legacy tables present, use iptables-legacy to see them',
    "iptables-nft-restore v1.8.9 (nf_tables): Chain 'NOPE' does not exist",
    'Error occurred at line: 3',
    "Try `iptables-nft-restore -h' or 'iptables-nft-restore --help' for more information.",
    '',
  ].join('\n');
  const error = restoreError({ command, exitCode: 2, stderr, input: INPUT });
  t.is(error.line, 3);
  t.regex(error.message, /exited with 2: iptables-nft-restore v1\.8\.9 \(nf_tables\): Chain 'NOPE' does not exist Error occurred at line: 3\n/);
  const busy = restoreError({ command, exitCode: 4, stderr: 'iptables-nft-restore v1.8.9 (nf_tables): \nline 5: CHAIN_DEL failed (Device or resource busy): chain X\n', input: INPUT });
  t.is(busy.line, 5);
  t.regex(busy.message, /exited with 4: iptables-nft-restore v1\.8\.9 \(nf_tables\): line 5: CHAIN_DEL failed \(Device or resource busy\): chain X\n/);
  t.is(busy.context, ['     3  -A IP2SVC-PREROUTING -j NOPE', '     4  -A IP2SVC-PREROUTING -j RETURN', '>    5  COMMIT'].join('\n'));
});

test('without a line number the error still carries the command and stderr', (t) => {
  const error = restoreError({ command, exitCode: 1, stderr: 'Another app is currently holding the xtables lock.\n', input: INPUT });
  t.true(error instanceof IptablesError);
  t.is(error.line, undefined);
  t.is(error.context, undefined);
  t.is(error.message, 'iptables-nft-restore -w --noflush exited with 1: Another app is currently holding the xtables lock.');
});
