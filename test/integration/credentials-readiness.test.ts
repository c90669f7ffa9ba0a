import test from 'ava';
import { request } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertIsolatedNetwork,
  repoRoot,
  reportPodIps,
  startKubeApiEmulator,
  startServerProcess,
  startStsEmulator,
  type KubeApiEmulator,
  type ServerProcess,
  type StsEmulator,
} from '@iam4kube/testkit';

// The real server binary between the Kubernetes API emulator and the STS emulator: the readiness gate and its
// /readyz reasons, a parked role answered at once, static stability once ready, and the credentials metrics.
// Waits are bounded polls of the server process's own endpoints (it is another process).

const ACCOUNT = '123456789012';
const BASE = { accessKeyId: 'AKIAIAM4KUBEREADY001', secretAccessKey: 'cmVhZGluZXNzLXRlc3Qtc2VjcmV0LWtleS0xMjM0NQ' };
const EXTRA = `
apiVersion: v1
kind: ServiceAccount
metadata:
  name: refused
  namespace: demo
  annotations:
    iam.amazonaws.com/roleArn: arn:aws:iam::${ACCOUNT}:role/refused-role
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: idle
  namespace: demo
  annotations:
    iam.amazonaws.com/roleArn: arn:aws:iam::${ACCOUNT}:role/idle-role
---
apiVersion: v1
kind: Pod
metadata:
  name: refused
  namespace: demo
  annotations:
    demo.iam4kube.io/pod-ip: 127.0.0.3
spec:
  serviceAccountName: refused
  nodeName: demo-node
  containers: [{ name: app, image: example }]
`;

let kube: KubeApiEmulator;
let sts: StsEmulator;
let server: ServerProcess;
let workDir: string;
let aux: string;

test.before(async () => {
  assertIsolatedNetwork();
  workDir = await mkdtemp(join(tmpdir(), 'iam4kube-readiness-'));
  kube = await startKubeApiEmulator();
  kube.applyManifests(await readFile(join(repoRoot(), 'manifests/examples/demo.yaml'), 'utf8'));
  kube.applyManifests(EXTRA);
  await reportPodIps(kube.url);
  await kube.writeKubeconfig(join(workDir, 'kubeconfig'));
  sts = await startStsEmulator({
    accountId: ACCOUNT,
    baseCredentials: [{ ...BASE, arn: `arn:aws:iam::${ACCOUNT}:user/iam4kube-server` }],
    roles: { [`arn:aws:iam::${ACCOUNT}:role/refused-role`]: { denied: true } },
  });
  // STS is unreachable when the replica starts; the role no pod uses hangs for good.
  sts.faults.outage('reset');
  server = await startServerProcess({
    args: [
      `--kubeconfig=${join(workDir, 'kubeconfig')}`,
      '--metadata-host=127.0.0.1', '--metadata-port=0', '--aux-host=127.0.0.1', '--aux-port=0',
      `--sts-endpoint=${sts.endpoint}`, '--sts-region=us-east-1', '--shutdown-delay=0s', '--wait-timeout=15s',
    ],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      AWS_ACCESS_KEY_ID: BASE.accessKeyId,
      AWS_SECRET_ACCESS_KEY: BASE.secretAccessKey,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  aux = `http://127.0.0.1:${server.auxPort}`;
});
test.after.always(async () => {
  await server?.stop();
  await sts?.close();
  await kube?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

interface Readyz {
  status: string;
  reason?: string;
  credentials?: { live: number; parked: number; pending: number; blocking: Array<{ roleArn: string; serviceAccount: string; lastError?: string }> };
}

async function readyz(): Promise<{ code: number; body: Readyz }> {
  const response = await fetch(`${aux}/readyz`);
  return { code: response.status, body: (await response.json()) as Readyz };
}

/** Bounded poll of the server process's /readyz until `done` holds. */
async function pollReadyz(done: (r: { code: number; body: Readyz }) => boolean, timeoutMs = 20_000): Promise<{ code: number; body: Readyz }> {
  const deadline = Date.now() + timeoutMs;
  let last = await readyz();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`timed out; last /readyz: ${last.code} ${JSON.stringify(last.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await readyz();
  }
  return last;
}

/** GET a metadata path as the pod at `ip` (the source address is how the server identifies the caller). */
function metadataGet(ip: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.metadataPort, path, localAddress: ip }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function metric(name: string): Promise<number | undefined> {
  const text = await (await fetch(`${aux}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

test.serial('not ready while STS is unreachable, with the blocking role in /readyz; ready once STS answers', async (t) => {
  // STS is restored whatever happens here, so that the next tests see the state they expect.
  t.teardown(() => {
    sts.faults.outage(false);
    sts.faults.denyRole(`arn:aws:iam::${ACCOUNT}:role/idle-role`);
  });
  const blocked = await pollReadyz((r) => {
    const blocking = r.body.credentials?.blocking ?? [];
    return blocking.length === 2 && blocking.every((b) => b.lastError !== undefined);
  });
  t.is(blocked.code, 503);
  t.is(blocked.body.status, 'not ok');
  t.regex(blocked.body.reason!, /live credentials entries have no credentials yet/);
  // Live: demo/app and demo/refused have pods; demo/idle has none and is not counted.
  t.is(blocked.body.credentials!.live, 2);
  t.deepEqual(
    blocked.body.credentials!.blocking.map((b) => b.serviceAccount).sort(),
    ['demo/app', 'demo/refused'],
  );
  t.true(blocked.body.credentials!.blocking.every((b) => b.lastError === 'ECONNRESET'), JSON.stringify(blocked.body));

  sts.faults.outage(false);
  sts.faults.denyRole(`arn:aws:iam::${ACCOUNT}:role/idle-role`); // refused too: it must not matter either way
  const ready = await pollReadyz((r) => r.code === 200);
  t.is(ready.body.status, 'ok');
});

test.serial('a role STS refuses is parked: its pod gets an answer at once, not after the 15 s wait', async (t) => {
  const started = Date.now();
  const refused = await metadataGet('127.0.0.3', '/latest/meta-data/iam/security-credentials/refused-role');
  t.is(refused.status, 503);
  t.true(Date.now() - started < 2000, `answered in ${Date.now() - started} ms`);
  const served = await metadataGet('127.0.0.1', '/latest/meta-data/iam/security-credentials/demo-role');
  t.is(served.status, 200);
  t.is(JSON.parse(served.body).Code, 'Success');
  // refused-role is parked; idle-role (no pod) is parked or still pending, depending on where its backoff stands.
  t.true((await metric('iam4kube_credentials_entries{state="parked"}'))! >= 1);
  t.is(await metric('iam4kube_credentials_entries{state="fresh"}'), 1);
  t.true((await metric('iam4kube_sts_calls_total{outcome="permanent",code="AccessDenied"}'))! >= 1);
  t.true((await metric('iam4kube_sts_calls_total{outcome="transient",code="ECONNRESET"}'))! >= 1);
  t.true((await metric('iam4kube_credentials_earliest_expiry_seconds'))! > 3000);
  t.is(await metric('iam4kube_credentials_waiters'), 0);
  t.is(await metric('iam4kube_sts_limiter_queue_depth'), 0);
});

test.serial('once ready, an STS outage changes nothing for pods whose credentials are valid', async (t) => {
  sts.faults.outage('reset');
  const demoRole = (c: { params: { RoleArn?: string } }): boolean => c.params.RoleArn === `arn:aws:iam::${ACCOUNT}:role/demo-role`;
  const before = sts.countCalls('AssumeRole', demoRole);
  for (let i = 0; i < 20; i++) {
    const served = await metadataGet('127.0.0.1', '/latest/meta-data/iam/security-credentials/demo-role');
    t.is(served.status, 200);
  }
  t.is(sts.countCalls('AssumeRole', demoRole), before, 'served from memory');
  t.is((await readyz()).code, 200, 'stays ready');
  sts.faults.outage(false);
});

interface CoreEvent {
  reason: string;
  type: string;
  message: string;
  involvedObject: { kind: string; name: string; namespace: string };
}

/** Bounded poll of the API emulator for Events the server process writes. */
async function eventsFor(kind: string, name: string, timeoutMs = 20_000): Promise<CoreEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = (await (await fetch(`${kube.url}/api/v1/namespaces/demo/events`)).json()) as { items: CoreEvent[] };
    const found = list.items.filter((e) => e.reason === 'AssumeRoleRefused' && e.involvedObject.kind === kind && e.involvedObject.name === name);
    if (found.length > 0) return found;
    if (Date.now() > deadline) throw new Error(`no AssumeRoleRefused event on ${kind} ${name}: ${JSON.stringify(list.items.map((e) => [e.reason, e.involvedObject.name]))}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test.serial('a parked role is reported as a Warning Event on its pod, or on its ServiceAccount when no pod uses it', async (t) => {
  const [onPod] = await eventsFor('Pod', 'refused');
  t.is(onPod!.type, 'Warning');
  t.regex(onPod!.message, /STS refused to assume arn:aws:iam::123456789012:role\/refused-role for ServiceAccount demo\/refused \(AccessDenied/);
  const [onServiceAccount] = await eventsFor('ServiceAccount', 'idle');
  t.regex(onServiceAccount!.message, /idle-role for ServiceAccount demo\/idle \(AccessDenied/);
});
