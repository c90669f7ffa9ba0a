import test from 'ava';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@iam4kube/testkit';
import { run } from '../support/run.js';

const main = join(repoRoot(), 'packages/server/dist/src/main.js');
const env = { PATH: process.env.PATH ?? '', HOME: '/tmp' };

test('--help prints every flag and exits 0', async (t) => {
  const r = await run(process.execPath, [main, '--help'], env);
  t.is(r.code, 0);
  for (const flag of ['--kubeconfig', '--metadata-port', '--aux-port', '--sts-region', '--sts-endpoint', '--session-duration', '--sts-rate', '--sts-burst', '--wait-timeout']) {
    t.true(r.stdout.includes(flag), flag);
  }
});

const bad: Array<[string, string[], RegExp]> = [
  ['an unknown flag', ['--no-such-flag'], /unknown flag --no-such-flag/],
  ['a bad number', ['--sts-rate=fast'], /invalid value for --sts-rate/],
  ['a missing kubeconfig', ['--kubeconfig=/nonexistent/kubeconfig'], /kubeconfig \/nonexistent\/kubeconfig does not exist/],
  ['a session duration below STS minimum', ['--session-duration=10m'], /--session-duration: 10m is below the minimum 15m/],
];
for (const [what, args, message] of bad) {
  test(`${what} gives a one-line error and exit code 2`, async (t) => {
    const r = await run(process.execPath, [main, ...args], env);
    t.is(r.code, 2);
    t.regex(r.stderr, message);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    t.false(r.stderr.includes('    at '), 'no stack trace');
  });
}

test('a malformed kubeconfig gives a one-line error and exit code 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'iam4kube-kc-'));
  const path = join(dir, 'kubeconfig');
  writeFileSync(path, 'clusters: [ {');
  const r = await run(process.execPath, [main, `--kubeconfig=${path}`], env);
  t.is(r.code, 2);
  t.regex(r.stderr, /cannot load kubeconfig/);
  t.is(r.stderr.trim().split('\n').length, 1);
});

test('a port already in use is named in the error', async (t) => {
  const { createServer } = await import('node:net');
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'iam4kube-kc-'));
  const path = join(dir, 'kubeconfig');
  writeFileSync(path, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n');
  const r = await run(process.execPath, [main, `--kubeconfig=${path}`, '--aux-host=127.0.0.1', `--aux-port=${port}`], env);
  blocker.close();
  t.is(r.code, 2);
  t.regex(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port}.*EADDRINUSE`));
});
