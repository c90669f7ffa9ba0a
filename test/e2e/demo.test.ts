import test, { type ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assertIsolatedNetwork, repoRoot } from '@iam4kube/testkit';
import { run } from '../support/run.js';
import { AWS_CLI_V2 } from '../support/real-clients.js';

interface RunningDemo {
  readonly demo: ChildProcess;
  /** Its exit code, once it has exited and its output has been read to the end. */
  readonly exited: Promise<number | null>;
  /** What it wrote so far. */
  readonly out: () => string;
  readonly err: () => string;
}

/**
 * Starts the demo binary on free ports, resolves once it has printed the whole block to paste. A demo the test has
 * not stopped (an assertion failed first) gets SIGTERM, with its process group, when the test ends: it then stops its
 * stack.
 */
async function startDemo(t: ExecutionContext, options: { readonly detached?: boolean } = {}): Promise<RunningDemo> {
  const main = join(repoRoot(), 'packages/testkit/dist/src/demo/main.js');
  const demo = spawn(process.execPath, [main, '--kube-port=0', '--sts-port=0', '--metadata-port=0', '--aux-port=0'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached === true,
  });
  const exited = new Promise<number | null>((resolve) => demo.once('close', (code) => resolve(code)));
  t.teardown(() => {
    if (demo.exitCode === null && demo.signalCode === null) process.kill(options.detached ? -demo.pid! : demo.pid!, 'SIGTERM');
  });
  let out = '';
  let err = '';
  demo.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    demo.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('kubectl get serviceaccount -n demo app -o yaml')) resolve();
    });
    void exited.then((code) => reject(new Error(`demo exited ${code}: ${out}${err}`)));
  });
  return { demo, exited, out: () => out, err: () => err };
}

/**
 * README command 1, as a newcomer runs it: the demo binary starts, prints the block to paste, the printed commands
 * work as printed, and Ctrl-C stops everything and cleans up.
 */
test('the demo prints working instructions and cleans up on Ctrl-C', async (t) => {
  assertIsolatedNetwork();
  const { demo, exited, out: printed } = await startDemo(t);
  const out = printed();

  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
  for (const m of out.matchAll(/^export (\w+)=(.*)$/gm)) env[m[1]!] = m[2]!;
  t.truthy(env.KUBECONFIG);
  t.regex(env.AWS_EC2_METADATA_SERVICE_ENDPOINT ?? '', /^http:\/\/127\.0\.0\.1:\d+\/$/, 'endpoint with a trailing slash');

  const awsLine = /^aws (sts get-caller-identity --endpoint-url \S+)$/m.exec(out);
  t.truthy(awsLine, 'the aws command is printed');
  t.true(existsSync(AWS_CLI_V2), `${AWS_CLI_V2} is installed`);
  const who = await run(AWS_CLI_V2, [...awsLine![1]!.split(' '), '--output', 'json'], env);
  t.is(who.code, 0, who.stderr);
  t.is(JSON.parse(who.stdout).Arn, 'arn:aws:sts::123456789012:assumed-role/demo-role/demo@app');

  const kubectl = await run('kubectl', ['get', 'pods', '-n', 'demo', '--request-timeout=10s'], env);
  t.is(kubectl.code, 0, kubectl.stderr);
  t.regex(kubectl.stdout, /^app\s+.*Running/m);

  demo.kill('SIGINT');
  t.is(await exited, 0);
  t.false(existsSync(env.KUBECONFIG!), 'the work directory is removed');
});

/**
 * Ctrl-C in a terminal sends SIGINT to the whole foreground process group. The server must then get exactly one
 * signal, from the demo: a second one makes it exit at once (its handler says "second signal: exiting now"),
 * cutting its drain short.
 */
test('Ctrl-C to the whole process group stops the server gracefully, with one signal', async (t) => {
  assertIsolatedNetwork();
  // A process group of its own, as a shell gives a foreground job.
  const { demo, exited, err } = await startDemo(t, { detached: true });
  process.kill(-demo.pid!, 'SIGINT');
  t.is(await exited, 0, err());
  t.false(err().includes('second signal'), 'the server got one signal');
  t.regex(err(), /"msg":"shutdown complete"/, 'the server finished its graceful shutdown');
});
