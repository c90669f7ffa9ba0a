import test from 'ava';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { ManualClock, flushMicrotasks } from '@iam4kube/shared';
import { assertIsolatedNetwork, startStsEmulator, type StsEmulator } from '@iam4kube/testkit';
import { CredentialStore, type CredentialStoreOptions } from '../../src/credentials/credential-store.js';
import { createStsAssumer } from '../../src/credentials/sts-assumer.js';
import { CredentialsError, type Limiter } from '../../src/credentials/credentials.js';
import { sessionRequestFor } from '../../src/credentials/session-request.js';
import { roleBindingFor } from '../../src/identity/role-binding.js';
import { MIN, captureLogger, isCredentialsError, neverAborts, session } from './fakes.js';

// The real StsAssumer (client-sts) against the testkit STS emulator: what goes over the wire, and how the store
// handles what comes back. The store runs on a ManualClock; the emulator keeps real time (it checks signatures
// against it), and the manual clock starts at real time so expiry times agree.

const BASE = { accessKeyId: 'AKIAIAM4KUBETEST0001', secretAccessKey: 'c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NQ' };
const ACCOUNT = '123456789012';
const role = (name: string): string => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const immediate: Limiter = { schedule: (task) => task(), queued: () => 0 };

let sts: StsEmulator;
test.before(async () => {
  assertIsolatedNetwork();
  sts = await startStsEmulator({
    accountId: ACCOUNT,
    baseCredentials: [{ ...BASE, arn: `arn:aws:iam::${ACCOUNT}:user/iam4kube-server` }],
    roles: {
      [role('with-external-id')]: { externalId: 'ext-123' },
      [role('denied')]: { denied: true },
      [role('one-hour-max')]: { maxSessionDuration: 3600 },
      [role('twelve-hours')]: { maxSessionDuration: 43_200 },
    },
  });
});
test.after.always(async () => {
  await sts?.close();
});
test.afterEach(() => sts.faults.clear());

function setup(options: Partial<CredentialStoreOptions> & { credentials?: typeof BASE & { sessionToken?: string } } = {}) {
  const clock = new ManualClock(Date.now());
  const { logger, lines, logged } = captureLogger();
  const assumer = createStsAssumer({ region: 'us-east-1', endpoint: sts.endpoint, now: () => clock.now(), credentials: options.credentials ?? BASE });
  const store = new CredentialStore({
    assumer, limiter: immediate, clock, logger,
    sessionDurationMs: 60 * MIN, refreshBeforeMs: 30 * MIN, safetyMarginMs: 5 * MIN, callTimeoutMs: 5000,
    retryInitialMs: 1000, retryMaxMs: 30_000, parkInitialMs: 5 * MIN, parkMaxMs: 30 * MIN, random: () => 0,
    ...options,
  });
  return { clock, store, lines, logged, signal: neverAborts() };
}

const callsFor = (sessionName: string): number => sts.countCalls('AssumeRole', (c) => c.params.RoleSessionName === sessionName);

test.serial('prefetch before the first request; a 1,000-request stampede on a cold entry makes exactly one AssumeRole', async (t) => {
  const { store, signal } = setup();
  const cold = session('stampede', 'app');
  store.retain(cold);
  await sts.waitForCalls('AssumeRole', 1, (c) => c.params.RoleSessionName === 'stampede@app');
  const answers = await Promise.all(Array.from({ length: 1000 }, () => store.get(cold, signal)));
  t.is(callsFor('stampede@app'), 1);
  t.true(answers.every((a) => a === answers[0]));
  const issued = sts.issued.find((i) => i.roleSessionName === 'stampede@app')!;
  t.is(answers[0]!.accessKeyId, issued.accessKeyId);
  t.is(answers[0]!.expiration, issued.expiresAt);
});

test.serial('session name, external ID, duration, session tags and SourceIdentity arrive at STS', async (t) => {
  const { store, signal } = setup();
  const binding = roleBindingFor('team-a', 'worker', { 'iam.amazonaws.com/roleArn': role('with-external-id'), 'iam.amazonaws.com/roleExternalId': 'ext-123' });
  if (binding.kind !== 'role') throw new Error('bad fixture');
  const request = sessionRequestFor({ namespace: 'team-a', name: 'worker' }, binding, { sessionTags: true, clusterName: 'prod-eu', sourceIdentity: true });
  store.retain(request);
  const credentials = await store.get(binding, signal);
  const [call] = await sts.waitForCalls('AssumeRole', 1, (c) => c.params.RoleSessionName === 'team-a@worker');
  t.deepEqual(call!.params, {
    RoleArn: role('with-external-id'),
    RoleSessionName: 'team-a@worker',
    ExternalId: 'ext-123',
    SourceIdentity: 'team-a@worker',
    DurationSeconds: 3600,
    Tags: [
      { Key: 'kubernetes-namespace', Value: 'team-a' },
      { Key: 'kubernetes-service-account', Value: 'worker' },
      { Key: 'kubernetes-cluster-name', Value: 'prod-eu' },
    ],
  });
  const issued = sts.issued.find((i) => i.accessKeyId === credentials.accessKeyId)!;
  t.is(issued.assumedRoleArn, `arn:aws:sts::${ACCOUNT}:assumed-role/with-external-id/team-a@worker`);
  t.is(issued.sourceIdentity, 'team-a@worker');
});

test.serial('a role STS denies is parked from the real AccessDenied: answered at once with the code', async (t) => {
  const { store, logged, signal } = setup();
  const denied = session('ns', 'denied', 'denied');
  store.retain(denied);
  await logged('role parked: STS refused it');
  const error = await t.throwsAsync(store.get(denied, signal));
  t.true(isCredentialsError(error, 'AccessDenied'));
  t.true((error as CredentialsError).permanent);
  t.regex(error!.message, /is not authorized to perform: sts:AssumeRole/);
  t.is(callsFor('ns@denied'), 1);
});

test.serial('a wrong external ID is refused (AccessDenied), the right one accepted', async (t) => {
  const { store, logged, signal } = setup();
  const wrong = session('ns', 'wrong-ext', 'with-external-id', { externalId: 'nope-0' });
  store.retain(wrong);
  await logged('role parked: STS refused it');
  t.true(isCredentialsError(await t.throwsAsync(store.get(wrong, signal)), 'AccessDenied'));
  const right = session('ns', 'right-ext', 'with-external-id', { externalId: 'ext-123' });
  store.retain(right);
  t.truthy(await store.get(right, signal));
});

test.serial('throttling is retried with backoff on the injected clock, one call per retry', async (t) => {
  const { clock, store, logged, signal } = setup();
  sts.faults.throttleNext(3, 'AssumeRole');
  const throttled = session('ns', 'throttled');
  store.retain(throttled);
  const answer = store.get(throttled, signal);
  for (let n = 1; n <= 3; n++) {
    const lines = await logged('STS call failed, retrying', n);
    t.like(lines[n - 1], { code: 'Throttling', retryInMs: 500 * 2 ** (n - 1) });
    t.is(callsFor('ns@throttled'), n, 'no call before the backoff has passed');
    await clock.advance(500 * 2 ** (n - 1));
  }
  t.truthy(await answer);
  t.is(callsFor('ns@throttled'), 4);
});

test.serial('an STS that hangs is cut at the call timeout (the SDK request is aborted) and retried', async (t) => {
  const { clock, store, logged, signal } = setup();
  sts.faults.outage('hang');
  const hung = session('ns', 'hung');
  store.retain(hung);
  const answer = store.get(hung, signal);
  await sts.waitForInFlight(1);
  await clock.advance(5000);
  const [line] = await logged('STS call failed, retrying');
  t.like(line, { code: 'Timeout' });
  sts.faults.outage(false);
  await clock.advance(500);
  t.truthy(await answer);
});

test.serial('STS unreachable for a whole refresh period: every request is served while the credentials are valid', async (t) => {
  const { clock, store, signal } = setup();
  const app = session('ns', 'outage');
  store.retain(app);
  const issued = await store.get(app, signal);
  sts.faults.outage('reset');
  let failed = 0;
  for (let minute = 1; minute < 55; minute++) {
    await clock.advance(MIN);
    await flushMicrotasks();
    if ((await store.get(app, signal).catch(() => undefined)) !== issued) failed++;
  }
  t.is(failed, 0);
  t.true(sts.countCalls('AssumeRole', (c) => c.params.RoleSessionName === 'ns@outage' && c.outcome === 'dropped') > 0, 'refreshes were tried');
});

test.serial('a role capped at 1 h is asked again for 1 h when a longer session is configured', async (t) => {
  const { store, signal } = setup({ sessionDurationMs: 4 * 60 * MIN, refreshBeforeMs: 30 * MIN });
  const capped = session('ns', 'capped', 'one-hour-max');
  store.retain(capped);
  const credentials = await store.get(capped, signal);
  const calls = sts.calls.filter((c) => c.params.RoleSessionName === 'ns@capped');
  t.deepEqual(calls.map((c) => [c.params.DurationSeconds, c.outcome, c.errorCode]), [[14_400, 'error', 'ValidationError'], [3600, 'ok', undefined]]);
  t.true(credentials.expiration - Date.now() <= 3600_000);
  const long = session('ns', 'long', 'twelve-hours');
  store.retain(long);
  await store.get(long, signal);
  t.deepEqual(sts.calls.filter((c) => c.params.RoleSessionName === 'ns@long').map((c) => c.params.DurationSeconds), [14_400]);
});

test.serial('role chaining (base credentials that are themselves a role session) falls back to 1 h', async (t) => {
  const sdk = new STSClient({ region: 'us-east-1', endpoint: sts.endpoint, credentials: BASE });
  const node = await sdk.send(new AssumeRoleCommand({ RoleArn: role('twelve-hours'), RoleSessionName: 'node-role' }));
  sdk.destroy();
  const c = node.Credentials!;
  const { store, signal, lines } = setup({
    sessionDurationMs: 2 * 60 * MIN,
    credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! },
  });
  const chained = session('ns', 'chained', 'twelve-hours');
  store.retain(chained);
  await store.get(chained, signal);
  const calls = sts.calls.filter((x) => x.params.RoleSessionName === 'ns@chained');
  t.deepEqual(calls.map((x) => x.params.DurationSeconds), [7200, 3600]);
  t.regex(String(lines.find((l) => l.msg === 'STS refused the session duration for this role: asking for 1h')?.reason), /role chaining/);
});
