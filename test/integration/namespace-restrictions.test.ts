import test from 'ava';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { assertIsolatedNetwork, startKubeApiEmulator, startStsEmulator, type KubeApiEmulator, type StsEmulator } from '@iam4kube/testkit';
import { parseServerArgs } from '../../packages/server/src/config.js';
import { startServer, type RunningServer } from '../../packages/server/src/app.js';
import { createStsAssumer } from '../../packages/server/src/credentials/sts-assumer.js';
import { httpGet, type Answer } from '../reliability/support/http-get.js';

// Issue 9 end to end, in process: the real server (every engine, the metadata API over HTTP) between the Kubernetes
// API emulator and the STS emulator, with --namespace-restrictions, --pod-role-annotation and --base-role-arn.
// Every STS call is in the emulator's log: none is ever made for a denied role.

/** An object as the emulator takes it. */
type KubeObject = Parameters<KubeApiEmulator['create']>[0];

const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/`;
const POD_ANNOTATION = 'iam.amazonaws.com/role';
const CREDS = '/latest/meta-data/iam/security-credentials/';

interface Fixture {
  kube: KubeApiEmulator;
  sts: StsEmulator;
  server: RunningServer;
  /** Resolves with performance.now() when the server writes a log line matching all of `fields`. */
  logged(fields: Record<string, unknown>): Promise<number>;
}

let f: Fixture;
/** Pod IP by pod name. */
const ips = new Map<string, string>();

function namespace(name: string, annotations: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, annotations } };
}
function serviceAccount(ns: string, name: string, roleArn?: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns, ...(roleArn ? { annotations: { 'iam.amazonaws.com/roleArn': roleArn } } : {}) } };
}
function pod(kube: KubeApiEmulator, ns: string, name: string, sa: string, podRole?: string): void {
  const ip = `127.9.0.${ips.size + 1}`;
  ips.set(name, ip);
  kube.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, ...(podRole ? { annotations: { [POD_ANNOTATION]: podRole } } : {}) },
    spec: { serviceAccountName: sa, nodeName: 'node-1', containers: [{ name: 'app', image: 'example' }] },
  });
  kube.patchStatus('pods', ns, name, { phase: 'Running', podIP: ip, podIPs: [{ ip }] });
}

const ask = (name: string, path: string): Promise<Answer> => httpGet(`http://127.0.0.1:${f.server.metadataAddress.port}${path}`, { localAddress: ips.get(name)! });
const assumed = (roleName: string): number => f.sts.countCalls('AssumeRole', (c) => c.params.RoleArn === `${ROLE}${roleName}`);

test.before(async () => {
  assertIsolatedNetwork();
  const kube = await startKubeApiEmulator({ bookmarkIntervalMs: 100 });
  kube.create(namespace('glob', { 'iam.amazonaws.com/allowed-roles': `["${ROLE}app-*"]` }));
  kube.create(namespace('regex', { 'iam.amazonaws.com/permitted': `.*:role/team-(a|b)` }));
  kube.create(namespace('both', { 'iam.amazonaws.com/allowed-roles': '["glob-ok"]', 'iam.amazonaws.com/permitted': '.*/regex-ok' }));
  kube.create(namespace('broken', { 'iam.amazonaws.com/allowed-roles': '["app-x",' }));
  kube.create(namespace('bare'));
  kube.create(namespace('compat', { 'iam.amazonaws.com/allowed-roles': '["reader", "sa-role"]' }));
  kube.create(namespace('flip', { 'iam.amazonaws.com/allowed-roles': '["flip-role"]' }));
  const accounts: Array<[string, string, string | undefined]> = [
    ['glob', 'ok', `${ROLE}app-ok`], ['glob', 'no', `${ROLE}other`],
    ['regex', 'a', `${ROLE}team-a`], ['regex', 'c', `${ROLE}team-c`],
    ['both', 'g', `${ROLE}glob-ok`], ['both', 'r', `${ROLE}regex-ok`], ['both', 'n', `${ROLE}neither`],
    ['broken', 'x', `${ROLE}app-x`], ['bare', 'x', `${ROLE}app-bare`],
    ['compat', 'plain', undefined], ['compat', 'with-role', `${ROLE}sa-role`],
    ['flip', 'app', `${ROLE}flip-role`],
  ];
  for (const [ns, name, role] of accounts) kube.create(serviceAccount(ns, name, role));
  for (const [ns, name] of accounts) if (ns !== 'compat') pod(kube, ns, `${ns}-${name}`, name);
  pod(kube, 'compat', 'by-name', 'plain', 'reader'); // name + base ARN, permitted
  pod(kube, 'compat', 'by-name-too', 'plain', 'reader'); // same ServiceAccount and role: the same entry
  pod(kube, 'compat', 'forbidden-name', 'plain', 'writer'); // permitted nowhere
  pod(kube, 'compat', 'precedence', 'with-role', 'reader'); // the ServiceAccount's role wins
  const base = { accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64') };
  const sts = await startStsEmulator({ accountId: ACCOUNT, baseCredentials: [{ ...base, arn: `arn:aws:iam::${ACCOUNT}:user/iam4kube-server` }] });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(kube.kubeconfig());
  const parsed = parseServerArgs(
    [
      '--metadata-host=127.0.0.1', '--metadata-port=0', '--aux-host=127.0.0.1', '--aux-port=0', '--shutdown-delay=0s', '--wait-timeout=10s',
      '--namespace-restrictions', `--pod-role-annotation=${POD_ANNOTATION}`, `--base-role-arn=arn:aws:iam::${ACCOUNT}:role`,
    ],
    {},
  );
  if (parsed.kind !== 'run') throw new Error('unexpected --help');
  const watchers: Array<{ fields: Record<string, unknown>; resolve: (at: number) => void }> = [];
  const logStream = new Writable({
    write(chunk, _e, done) {
      const at = performance.now();
      const line = JSON.parse(String(chunk)) as Record<string, unknown>;
      for (const w of [...watchers]) {
        if (Object.entries(w.fields).every(([k, v]) => line[k] === v)) {
          watchers.splice(watchers.indexOf(w), 1);
          w.resolve(at);
        }
      }
      done();
    },
  });
  const assumer = createStsAssumer({ region: 'us-east-1', endpoint: sts.endpoint, now: () => Date.now(), credentials: base });
  const server = await startServer(parsed.values, { kubeConfig, assumer, logStream });
  f = { kube, sts, server, logged: (fields) => new Promise((resolve) => watchers.push({ fields, resolve })) };
  // Ready: caches (Namespaces included) synced and every live, permitted entry fetched.
  // (readiness is computed when asked: a bounded poll, as a kubelet probes it)
  const deadline = Date.now() + 15_000;
  const ready = new Promise<void>((resolve, reject) => {
    const check = (): void => (server.ready() ? resolve() : Date.now() > deadline ? reject(new Error('not ready')) : void setTimeout(check, 20));
    check();
  });
  await ready;
});

test.after.always(async () => {
  await f?.server.stop();
  await f?.sts.close();
  await f?.kube.close();
});

test.serial('allowed by glob and by regex: served; denied: 404 at once on the listing and the credentials path', async (t) => {
  for (const [podName, role] of [['glob-ok', 'app-ok'], ['regex-a', 'team-a'], ['both-g', 'glob-ok'], ['both-r', 'regex-ok']] as const) {
    t.is((await ask(podName, CREDS)).body, role, podName);
    const answer = await ask(podName, `${CREDS}${role}`);
    t.is(answer.status, 200, podName);
    t.is(JSON.parse(answer.body).Code, 'Success');
  }
  for (const [podName, role] of [['glob-no', 'other'], ['regex-c', 'team-c'], ['both-n', 'neither'], ['broken-x', 'app-x'], ['bare-x', 'app-bare']] as const) {
    const listing = await ask(podName, CREDS);
    const creds = await ask(podName, `${CREDS}${role}`);
    t.is(listing.status, 404, podName);
    t.is(creds.status, 404, podName);
    // At once: no wait for --wait-timeout (10 s).
    t.true(creds.receivedAt - creds.sentAt < 2000, `${podName} answered in ${creds.receivedAt - creds.sentAt} ms`);
  }
});

test.serial('pod annotation: a role name expanded with --base-role-arn; pods of one ServiceAccount share one entry', async (t) => {
  const first = await ask('by-name', `${CREDS}reader`);
  const second = await ask('by-name-too', `${CREDS}reader`);
  t.is(first.status, 200);
  t.is(JSON.parse(first.body).AccessKeyId, JSON.parse(second.body).AccessKeyId);
  const calls = f.sts.calls.filter((c) => c.action === 'AssumeRole' && c.params.RoleArn === `${ROLE}reader`);
  t.is(calls.length, 1);
  t.is(calls[0]!.params.RoleSessionName, 'compat@plain');
  t.is(calls[0]!.params.ExternalId, undefined);
  t.is((await ask('forbidden-name', `${CREDS}writer`)).status, 404);
});

test.serial('precedence: the ServiceAccount annotation wins over the pod annotation', async (t) => {
  t.is((await ask('precedence', CREDS)).body, 'sa-role');
  t.is((await ask('precedence', `${CREDS}reader`)).status, 404);
  t.is(f.sts.countCalls('AssumeRole', (c) => c.params.RoleSessionName === 'compat@with-role' && c.params.RoleArn !== `${ROLE}sa-role`), 0);
});

test.serial('Events: RoleNotPermitted on the denied pod, MalformedRolePolicy on the Namespace; metrics', async (t) => {
  const eventFor = (reason: string, name: string): Promise<KubeObject> =>
    new Promise((resolve) => {
      const match = (o: KubeObject): boolean => (o as { reason?: string }).reason === reason && (o as { involvedObject?: { name?: string } }).involvedObject?.name === name;
      const stop = f.kube.onChange((e) => {
        if (e.resource.plural === 'events' && match(e.object)) {
          stop();
          resolve(e.object);
        }
      });
      const found = [...f.kube.list('events', 'glob'), ...f.kube.list('events', 'default')].find(match);
      if (found) {
        stop();
        resolve(found);
      }
    });
  const denied = eventFor('RoleNotPermitted', 'glob-no');
  await ask('glob-no', CREDS);
  t.regex(((await denied) as unknown as { message: string }).message, /arn:aws:iam::123456789012:role\/other.*not permitted in namespace glob.*allowed-roles/);
  const malformed = (await eventFor('MalformedRolePolicy', 'broken')) as unknown as { metadata: { namespace: string }; involvedObject: { kind: string }; message: string };
  t.is(malformed.metadata.namespace, 'default');
  t.is(malformed.involvedObject.kind, 'Namespace');
  t.regex(malformed.message, /iam\.amazonaws\.com\/allowed-roles is malformed/);
  const metrics = await httpGet(`http://127.0.0.1:${f.server.auxAddress.port}/metrics`);
  t.regex(metrics.body, /^iam4kube_namespace_policies_malformed 1$/m);
  t.regex(metrics.body, /^iam4kube_identity_roles_denied_total [1-9]\d*$/m);
});

test.serial('a Namespace change under load: forbidden at once and never served again, then permitted with new credentials', async (t) => {
  const path = `${CREDS}flip-role`;
  const answers: Answer[] = [];
  let running = true;
  const hammer = async (): Promise<void> => {
    while (running) answers.push(await ask('flip-app', path));
  };
  const clients = Array.from({ length: 4 }, hammer);
  const until = async (count: number): Promise<void> => {
    const target = answers.length + count;
    while (answers.length < target) await new Promise((resolve) => setImmediate(resolve));
  };
  await until(40);
  const callsBefore = assumed('flip-role');

  // Forbid: the server logs the change while it applies it (the policy is already in force when the line is written).
  const forbidden = f.logged({ msg: 'namespace role policy changed', namespace: 'flip' });
  const forbidWrittenAt = performance.now();
  f.kube.patch('namespaces', '', 'flip', { metadata: { annotations: { 'iam.amazonaws.com/allowed-roles': '["something-else"]' } } }, { type: 'merge' });
  const forbiddenAt = await forbidden;
  await until(40);
  const callsWhileForbidden = assumed('flip-role');

  // Permit again.
  const permitted = f.logged({ msg: 'namespace role policy changed', namespace: 'flip' });
  f.kube.patch('namespaces', '', 'flip', { metadata: { annotations: { 'iam.amazonaws.com/allowed-roles': '["flip-*"]' } } }, { type: 'merge' });
  const permittedAt = await permitted;
  await until(40);
  running = false;
  await Promise.all(clients);

  const key = (a: Answer): string | undefined => (a.status === 200 ? (JSON.parse(a.body) as { AccessKeyId: string }).AccessKeyId : undefined);
  const before = answers.filter((a) => a.receivedAt < forbidWrittenAt);
  const oldKeys = new Set(before.map(key));
  const during = answers.filter((a) => a.sentAt > forbiddenAt && a.receivedAt < permittedAt);
  const after = answers.filter((a) => a.sentAt > permittedAt);
  t.true(before.length >= 40 && during.length >= 1 && after.length >= 40, `${before.length} / ${during.length} / ${after.length}`);
  // Before the change was made: the role, always the same credentials.
  t.true(before.every((a) => a.status === 200));
  t.is(oldKeys.size, 1);
  // Between the write and the moment the server saw it: the old credentials or 404, nothing else.
  for (const a of answers.filter((x) => x.receivedAt >= forbidWrittenAt && x.sentAt <= forbiddenAt)) {
    t.true(a.status === 404 || (a.status === 200 && oldKeys.has(key(a))), `${a.status}`);
  }
  // Once the server has seen it: every answer is 404.
  t.deepEqual([...new Set(during.map((a) => a.status))], [404]);
  // Permitted again: served, with credentials fetched anew (the cached ones were dropped, never served again).
  t.true(after.every((a) => a.status === 200 && !oldKeys.has(key(a))), `${after.filter((a) => a.status !== 200).length} not 200`);
  t.is(callsWhileForbidden, callsBefore);
  t.is(assumed('flip-role'), callsBefore + 1);
});

test.serial('no STS call was ever made for a denied role', (t) => {
  for (const role of ['other', 'team-c', 'neither', 'app-x', 'app-bare', 'writer', 'reader-never']) t.is(assumed(role), 0, role);
  // The pod-annotated role the precedence pod names is permitted, and fetched for the pods that use it, but never
  // for the ServiceAccount whose own annotation wins.
  t.is(f.sts.countCalls('AssumeRole', (c) => c.params.RoleArn === `${ROLE}reader` && c.params.RoleSessionName !== 'compat@plain'), 0);
});
