import test from 'ava';
import { request } from 'node:http';
import { assertIsolatedNetwork, startStack, type Stack } from '@iam4kube/testkit';
import { run } from '../support/run.js';
import { awsCli, clientEnv } from '../support/real-clients.js';

let stack: Stack;
test.before(async () => {
  assertIsolatedNetwork();
  stack = await startStack({ sts: 'emulator' });
});
test.after.always(async () => {
  await stack?.stop();
});

/** GET from a chosen loopback source address, so the server sees the caller as the pod with that IP. */
function get(url: string, localAddress = '127.0.0.1'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function kubectl(...args: string[]): Promise<string> {
  const result = await run('kubectl', [`--kubeconfig=${stack.kubeconfigPath}`, '--request-timeout=10s', ...args], { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** Waits (bounded) until the server, a separate process, answers the listing with `role`. */
async function listingBecomes(role: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = (await get(`${stack.metadataUrl}/latest/meta-data/iam/security-credentials/`)).body;
    if (last === role) return last;
    await new Promise((r) => setTimeout(r, 20));
  }
  return last;
}

test.serial('kubectl annotate changes the role served next, without a restart', async (t) => {
  t.is((await get(`${stack.metadataUrl}/latest/meta-data/iam/security-credentials/`)).body, 'demo-role');
  await kubectl('annotate', 'serviceaccount', '-n', 'demo', 'app', '--overwrite', 'iam.amazonaws.com/roleArn=arn:aws:iam::123456789012:role/other-role');
  t.is(await listingBecomes('other-role'), 'other-role');
  const doc = await get(`${stack.metadataUrl}/latest/meta-data/iam/security-credentials/other-role`);
  t.is(doc.status, 200);
  t.is((await get(`${stack.metadataUrl}/latest/meta-data/iam/security-credentials/demo-role`)).status, 404);
  const arn = await awsCli.callerArn(clientEnv(stack.clientEnv), stack.stsEndpoint);
  t.is(arn, 'arn:aws:sts::123456789012:assumed-role/other-role/demo@app');
  const assumed = stack.sts!.calls.filter((c) => c.action === 'AssumeRole').map((c) => c.params.RoleArn);
  t.true(assumed.includes('arn:aws:iam::123456789012:role/other-role'));
  t.is(stack.server.child.exitCode, null, 'the server was not restarted');
});

test.serial('a pod whose ServiceAccount has no role gets 404 on the credentials paths', async (t) => {
  const list = await get(`${stack.metadataUrl}/latest/meta-data/iam/security-credentials/`, '127.0.0.2');
  t.is(list.status, 404);
  t.is((await get(`${stack.metadataUrl}/latest/meta-data/iam/security-credentials/demo-role`, '127.0.0.2')).status, 404);
});

test.serial('paths outside the whitelist are 404 for a pod that has a role', async (t) => {
  // (/latest/meta-data/ and the instance identity document are served now: docs/metadata-api.md.)
  for (const path of ['/latest/user-data', '/latest/meta-data/instance-id', '/latest/meta-data/iam/info', '/latest/dynamic/instance-identity/signature', '/']) {
    t.is((await get(`${stack.metadataUrl}${path}`)).status, 404, path);
  }
});
