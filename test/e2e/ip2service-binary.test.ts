import test from 'ava';
import { fileURLToPath } from 'node:url';

import { run } from '../support/run.js';

/** The built ip2service binary's command line: help, validation, exit codes. Needs no root and no cluster. */
const main = fileURLToPath(new URL('../../packages/ip2service/dist/src/main.js', import.meta.url));
const env = { PATH: process.env.PATH ?? '', HOME: '/tmp' };

test('--help prints the usage, the cleanup command and every flag, and exits 0', async (t) => {
  const r = await run(process.execPath, [main, '--help'], env);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /ip2service cleanup/);
  for (const flag of ['--kubeconfig', '--service-namespace', '--metadata-address', '--iptables-mode', '--resync-period', '--health-max-sync-age', '--exclude-server-pods', '--node-name', '--remove-taint', '--check-config']) {
    t.true(r.stdout.includes(`  ${flag}`), flag);
  }
});

test('--check-config validates flags and environment without contacting anything', async (t) => {
  const ok = await run(process.execPath, [main, '--check-config', '--kubeconfig=/nonexistent'], { ...env, IP2SERVICE_RESYNC_PERIOD: '10s', NODE_NAME: 'n1', IP2SERVICE_REMOVE_TAINT: 'iam4kube.io/agent-not-ready' });
  t.is(ok.code, 0, ok.stderr);
  t.is(ok.stdout, 'config ok\n');
  const bad = await run(process.execPath, [main, '--check-config'], { ...env, IP2SERVICE_REMOVE_TAINT: 'iam4kube.io/agent-not-ready' });
  t.is(bad.code, 2);
  t.is(bad.stdout, '');
  t.is(bad.stderr, 'ip2service: --remove-taint needs --node-name (or NODE_NAME)\n');
});

const bad: Array<[string, string[], Record<string, string>, RegExp]> = [
  ['an unknown flag', ['--no-such-flag'], {}, /^ip2service: unknown flag --no-such-flag/],
  ['an unknown command', ['flush'], {}, /^ip2service: unknown command "flush"/],
  ['a bad mode from the environment', [], { IP2SERVICE_IPTABLES_MODE: 'ipvs' }, /^ip2service: invalid value for IP2SERVICE_IPTABLES_MODE/],
  ['a missing kubeconfig', ['--kubeconfig=/nonexistent/kubeconfig', '--iptables-mode=nft'], {}, /^ip2service: kubeconfig \/nonexistent\/kubeconfig does not exist/],
];
for (const [what, args, extraEnv, message] of bad) {
  test(`${what} gives a one-line error and exit code 2`, async (t) => {
    const r = await run(process.execPath, [main, ...args], { ...env, ...extraEnv });
    t.is(r.code, 2);
    t.regex(r.stderr, message);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
}
