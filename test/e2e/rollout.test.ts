import test from 'ava';
import { Agent } from 'node:http';
import { fileURLToPath } from 'node:url';
import { assertIsolatedNetwork, startStack, startTcpBalancer } from '@iam4kube/testkit';
import { imds } from '../support/imds-client.js';
import { run } from '../support/run.js';
import { clientEnv } from '../support/real-clients.js';

// A rolling update under continuous load: replica A serves alone behind the balancer (playing ip2service: new
// connections go to ready replicas only, open ones stay where they are); replica B starts and becomes ready; A gets
// SIGTERM. Every client request must succeed: not one failure, counted.
const SHUTDOWN_DELAY_MS = 2000;
const ROLE_DOC = '/latest/meta-data/iam/security-credentials/demo-role';

interface Tally {
  sequences: number;
  requests: number;
  failures: string[];
}

/** One SDK-like credentials sequence: token PUT, role listing, credentials document, each checked. */
async function sequence(url: string, agent: Agent | false, tally: Tally): Promise<void> {
  const step = async (path: string, method: string, headers: Record<string, string>, check: (body: string) => boolean): Promise<string | undefined> => {
    tally.requests++;
    try {
      const res = await imds(url, path, { method, headers, agent, timeoutMs: 10_000 });
      if (res.status === 200 && check(res.body)) return res.body;
      tally.failures.push(`${method} ${path}: ${res.status} ${res.body.slice(0, 80)}`);
    } catch (err) {
      tally.failures.push(`${method} ${path}: ${(err as Error).message}`);
    }
    return undefined;
  };
  const token = await step('/latest/api/token', 'PUT', { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' }, (b) => b.length > 20);
  if (token === undefined) return;
  const headers = { 'x-aws-ec2-metadata-token': token };
  if ((await step('/latest/meta-data/iam/security-credentials/', 'GET', headers, (b) => b === 'demo-role')) === undefined) return;
  await step(ROLE_DOC, 'GET', headers, (b) => (JSON.parse(b) as { Code?: string }).Code === 'Success');
  tally.sequences++;
}

/** Bounded poll of another process's readiness (the only wait here is on other processes). */
async function waitFor(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function isReady(auxUrl: string): Promise<boolean> {
  try {
    return (await fetch(`${auxUrl}/readyz`)).ok;
  } catch {
    return false;
  }
}

test('a rollout under continuous load: zero failed client requests, the old replica exits 0', async (t) => {
  assertIsolatedNetwork();
  const stack = await startStack({ sts: 'emulator', logLevel: 'debug', serverArgs: [`--shutdown-delay=${SHUTDOWN_DELAY_MS}ms`] });
  const a = stack.server;
  const lb = await startTcpBalancer({ backends: [a.metadataPort] });
  let running = true;
  t.teardown(async () => {
    running = false; // also when the test failed half-way
    await lb.close();
    await stack.stop();
  });

  // Load: keep-alive clients (like botocore's and Go's pooled connections) and one-connection-per-request clients
  // (like the JS SDK), plus the real JS SDK in a loop.
  const tally: Tally = { sequences: 0, requests: 0, failures: [] };
  const workers = Array.from({ length: 8 }, async (_, i) => {
    const agent = i % 2 === 0 ? new Agent({ keepAlive: true, maxSockets: 1 }) : false;
    while (running) await sequence(lb.url, agent, tally);
    if (agent) agent.destroy();
  });
  const sdk = { runs: 0, failures: [] as string[] };
  const jsClient = fileURLToPath(new URL('../support/js-client.mjs', import.meta.url));
  const sdkLoop = (async () => {
    while (running) {
      const env = clientEnv(stack.clientEnv, { AWS_EC2_METADATA_SERVICE_ENDPOINT: `${lb.url}/` });
      const result = await run(process.execPath, [jsClient, 'instance-metadata', stack.stsEndpoint], env);
      sdk.runs++;
      if (result.code !== 0 || !result.stdout.includes('assumed-role/demo-role/demo@app')) sdk.failures.push(result.stderr.slice(-300));
    }
  })();

  await waitFor('load on replica A', () => tally.sequences >= 50);
  const b = await stack.startReplica();
  lb.setBackends([a.metadataPort, b.server.metadataPort]);
  const onBoth = tally.sequences;
  await waitFor('load on both replicas', () => tally.sequences >= onBoth + 50);

  const sigterm = Date.now();
  let servedAfterSigterm = 0;
  const countAfter = a.lines.length;
  a.child.kill('SIGTERM');
  // ip2service drops an endpoint as soon as it is not ready.
  await waitFor('replica A not ready', async () => !(await isReady(stack.auxUrl)), 5000);
  const notReadyAfterMs = Date.now() - sigterm;
  lb.setBackends([b.server.metadataPort]);
  const code = await a.exited;
  const exitedAfterMs = Date.now() - sigterm;
  const afterB = tally.sequences;
  await waitFor('load on replica B alone', () => tally.sequences >= afterB + 50 && sdk.runs >= 3);
  running = false;
  await Promise.all([...workers, sdkLoop]);

  for (const line of a.lines.slice(countAfter)) if (line.includes('"msg":"request"') && line.includes('"status":200')) servedAfterSigterm++;
  t.log(`${tally.requests} requests in ${tally.sequences} sequences, ${sdk.runs} JS SDK runs; A not ready ${notReadyAfterMs} ms after SIGTERM, exited ${exitedAfterMs} ms after, having served ${servedAfterSigterm} requests meanwhile`);
  t.deepEqual(tally.failures, [], 'no failed request');
  t.deepEqual(sdk.failures, [], 'no failed SDK run');
  t.is(code, 0, 'replica A exits 0');
  t.true(notReadyAfterMs < 1000, 'not ready at once');
  t.true(exitedAfterMs >= SHUTDOWN_DELAY_MS, 'served through the shutdown delay');
  t.true(exitedAfterMs < SHUTDOWN_DELAY_MS + 5000, 'then stopped promptly');
  t.true(servedAfterSigterm > 0, 'kept serving open connections during the delay');
  t.true(a.lines.some((l) => l.includes('shutdown complete')));
});

test('a second signal exits at once, in the middle of the shutdown delay', async (t) => {
  assertIsolatedNetwork();
  const stack = await startStack({ sts: 'emulator', serverArgs: ['--shutdown-delay=60s'] });
  t.teardown(() => stack.stop());
  const started = Date.now();
  stack.server.child.kill('SIGTERM');
  await waitFor('not ready', async () => !(await isReady(stack.auxUrl)), 5000);
  // Still serving during the delay.
  t.is((await imds(stack.metadataUrl, '/latest/meta-data/iam/security-credentials/')).status, 200);
  stack.server.child.kill('SIGINT');
  const code = await stack.server.exited;
  t.is(code, 1);
  t.true(Date.now() - started < 10_000);
  t.true(stack.server.lines.some((l) => l.includes('second signal')));
});

test('SIGINT alone shuts down gracefully too', async (t) => {
  assertIsolatedNetwork();
  const stack = await startStack({ sts: 'emulator', serverArgs: ['--shutdown-delay=200ms'] });
  t.teardown(() => stack.stop());
  stack.server.child.kill('SIGINT');
  t.is(await stack.server.exited, 0);
  t.true(stack.server.lines.some((l) => l.includes('shutdown complete')));
});
