import test from 'ava';
import type { ExecutionContext } from 'ava';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startStsEmulator } from '../../src/sts/index.js';
import type { StsEmulator, StsEmulatorOptions } from '../../src/sts/index.js';

const ACCOUNT = '123456789012';
const NODE = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  arn: `arn:aws:iam::${ACCOUNT}:user/iam4kube-server`,
};
interface Keys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}
const DEMO_ROLE = `arn:aws:iam::${ACCOUNT}:role/demo-role`;

interface Fixture {
  readonly sts: StsEmulator;
  /** The emulator's clock; tests move it. */
  readonly clock: { now: number };
}

async function start(t: ExecutionContext, options: StsEmulatorOptions = {}): Promise<Fixture> {
  const clock = { now: Date.now() };
  const sts = await startStsEmulator({ now: () => clock.now, baseCredentials: [NODE], ...options });
  t.teardown(() => sts.close());
  return { sts, clock };
}

function client(sts: StsEmulator, credentials: Keys = NODE, maxAttempts = 1): STSClient {
  return new STSClient({ region: 'us-east-1', endpoint: sts.endpoint, credentials, maxAttempts });
}

async function assumeDemoRole(sts: StsEmulator, extra: Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]> = {}) {
  const out = await client(sts).send(new AssumeRoleCommand({ RoleArn: DEMO_ROLE, RoleSessionName: 'demo@app', ...extra }));
  const c = out.Credentials!;
  return { out, credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! } };
}

async function errorOf(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, ...(e.$metadata?.httpStatusCode !== undefined && { status: e.$metadata.httpStatusCode }) };
  }
  throw new Error('expected the call to fail');
}

test('AssumeRole then GetCallerIdentity with the issued credentials gives the assumed-role ARN', async (t) => {
  const { sts, clock } = await start(t);
  const { out, credentials } = await assumeDemoRole(sts);
  t.regex(out.Credentials!.AccessKeyId!, /^ASIA[A-Z2-7]{16}$/);
  t.is(out.Credentials!.SecretAccessKey!.length, 40);
  t.true(out.Credentials!.SessionToken!.length > 100);
  t.is(out.Credentials!.Expiration!.getTime(), Math.floor(clock.now / 1000) * 1000 + 3600_000);
  t.is(out.AssumedRoleUser!.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/demo-role/demo@app`);
  t.regex(out.AssumedRoleUser!.AssumedRoleId!, /^AROA[A-Z0-9]{17}:demo@app$/);
  t.is(out.PackedPolicySize, undefined);
  t.truthy(out.$metadata.requestId);

  const identity = await client(sts, credentials).send(new GetCallerIdentityCommand({}));
  t.is(identity.Arn, 'arn:aws:sts::123456789012:assumed-role/demo-role/demo@app');
  t.is(identity.UserId, out.AssumedRoleUser!.AssumedRoleId);
  t.is(identity.Account, ACCOUNT);
  t.is(sts.countCalls('AssumeRole', (c) => c.outcome === 'ok' && c.callerArn === NODE.arn), 1);
  t.is(sts.countCalls('GetCallerIdentity', (c) => c.callerArn === identity.Arn), 1);
  t.deepEqual(sts.issued.map((i) => i.accessKeyId), [credentials.accessKeyId]);
});

test('GetCallerIdentity with base credentials reports their configured principal', async (t) => {
  const { sts } = await start(t);
  const identity = await client(sts).send(new GetCallerIdentityCommand({}));
  t.is(identity.Arn, NODE.arn);
  t.regex(identity.UserId!, /^AIDA[A-Z0-9]{17}$/);
  t.is(identity.Account, ACCOUNT);
});

test('a wrong secret is SignatureDoesNotMatch (403), an unknown key InvalidClientTokenId (403)', async (t) => {
  const { sts } = await start(t);
  const wrongSecret = await errorOf(client(sts, { ...NODE, secretAccessKey: 'x'.repeat(40) }).send(new GetCallerIdentityCommand({})));
  t.is(wrongSecret.name, 'SignatureDoesNotMatch');
  t.is(wrongSecret.status, 403);
  t.regex(wrongSecret.message, /does not match the signature you provided/);
  const unknown = await errorOf(client(sts, { ...NODE, accessKeyId: 'AKIAUNKNOWNUNKNOWN00' }).send(new GetCallerIdentityCommand({})));
  t.is(unknown.name, 'InvalidClientTokenId');
  t.is(unknown.status, 403);
  t.is(sts.countCalls('GetCallerIdentity', (c) => c.outcome === 'error' && c.callerArn === undefined), 2);
});

test('issued credentials are refused with a missing or foreign session token', async (t) => {
  const { sts } = await start(t);
  const { credentials } = await assumeDemoRole(sts);
  const { sessionToken: _unused, ...withoutToken } = credentials;
  t.is((await errorOf(client(sts, withoutToken).send(new GetCallerIdentityCommand({})))).name, 'InvalidClientTokenId');
  const other = (await assumeDemoRole(sts)).credentials;
  const mixed = { ...credentials, sessionToken: other.sessionToken };
  t.is((await errorOf(client(sts, mixed).send(new GetCallerIdentityCommand({})))).name, 'InvalidClientTokenId');
});

test('ExternalId, Tags, TransitiveTagKeys, SourceIdentity and DurationSeconds are recorded and reflected', async (t) => {
  const { sts, clock } = await start(t, { roles: { [DEMO_ROLE]: { externalId: 'ext-123', maxSessionDuration: 7200 } } });
  const { out } = await assumeDemoRole(sts, {
    ExternalId: 'ext-123',
    DurationSeconds: 7200,
    SourceIdentity: 'alice',
    Tags: [
      { Key: 'team', Value: 'payments' },
      { Key: 'empty', Value: '' },
    ],
    TransitiveTagKeys: ['team'],
  });
  t.is(out.SourceIdentity, 'alice');
  t.true(out.PackedPolicySize! >= 1);
  t.is(out.Credentials!.Expiration!.getTime(), Math.floor(clock.now / 1000) * 1000 + 7200_000);
  const [call] = sts.calls;
  t.deepEqual(call!.params, {
    RoleArn: DEMO_ROLE,
    RoleSessionName: 'demo@app',
    ExternalId: 'ext-123',
    SourceIdentity: 'alice',
    DurationSeconds: 7200,
    Tags: [
      { Key: 'team', Value: 'payments' },
      { Key: 'empty', Value: '' },
    ],
    TransitiveTagKeys: ['team'],
  });
  t.deepEqual(sts.issued[0]!.tags, [
    { key: 'team', value: 'payments' },
    { key: 'empty', value: '' },
  ]);
});

test('a required ExternalId that is missing or wrong is AccessDenied with AWS message', async (t) => {
  const { sts } = await start(t, { roles: { [DEMO_ROLE]: { externalId: 'ext-123' } } });
  const expected = `User: ${NODE.arn} is not authorized to perform: sts:AssumeRole on resource: ${DEMO_ROLE}`;
  for (const extra of [{}, { ExternalId: 'ext-999' }]) {
    const err = await errorOf(assumeDemoRole(sts, extra));
    t.is(err.name, 'AccessDenied');
    t.is(err.message, expected);
    t.is(err.status, 403);
  }
  t.deepEqual(sts.issued, []);
});

test('validation errors reach the SDK as ValidationError with AWS wording', async (t) => {
  const { sts } = await start(t);
  const err = await errorOf(
    client(sts).send(new AssumeRoleCommand({ RoleArn: DEMO_ROLE, RoleSessionName: 'a'.repeat(65), DurationSeconds: 899 })),
  );
  t.is(err.name, 'ValidationError');
  t.is(err.status, 400);
  t.is(
    err.message,
    `2 validation errors detected: Value '${'a'.repeat(65)}' at 'roleSessionName' failed to satisfy constraint: ` +
      "Member must have length less than or equal to 64; Value '899' at 'durationSeconds' failed to satisfy constraint: " +
      'Member must have value greater than or equal to 900',
  );
  const arn = await errorOf(client(sts).send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123456789012:user/bob', RoleSessionName: 'ab' })));
  t.deepEqual([arn.name, arn.message], ['ValidationError', 'Request ARN is invalid']);
});

test('role chaining is limited to one hour', async (t) => {
  const { sts } = await start(t, { roles: { [`arn:aws:iam::${ACCOUNT}:role/next`]: { maxSessionDuration: 43200 } } });
  const { credentials } = await assumeDemoRole(sts);
  const chained = client(sts, credentials);
  const next = `arn:aws:iam::${ACCOUNT}:role/next`;
  const err = await errorOf(chained.send(new AssumeRoleCommand({ RoleArn: next, RoleSessionName: 'hop', DurationSeconds: 3601 })));
  t.is(err.message, 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
  const ok = await chained.send(new AssumeRoleCommand({ RoleArn: next, RoleSessionName: 'hop', DurationSeconds: 3600 }));
  t.is(ok.AssumedRoleUser!.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/next/hop`);
  t.is(sts.countCalls('AssumeRole', (c) => c.callerArn === `arn:aws:sts::${ACCOUNT}:assumed-role/demo-role/demo@app`), 2);
});

test('throttling reaches the SDK as Throttling; throttleNext is consumed, throttleAll persists', async (t) => {
  const { sts } = await start(t);
  sts.faults.throttleNext(1, 'AssumeRole');
  const err = await errorOf(assumeDemoRole(sts));
  t.deepEqual([err.name, err.message, err.status], ['Throttling', 'Rate exceeded', 400]);
  await assumeDemoRole(sts);
  sts.faults.throttleAll(true);
  t.is((await errorOf(client(sts).send(new GetCallerIdentityCommand({})))).name, 'Throttling');
  t.is((await errorOf(client(sts).send(new GetCallerIdentityCommand({})))).name, 'Throttling');
  sts.faults.throttleAll(false);
  await t.notThrowsAsync(client(sts).send(new GetCallerIdentityCommand({})));
});

test('the SDK retries a throttled call and succeeds once the fault is used up', async (t) => {
  const { sts } = await start(t);
  sts.faults.throttleNext(2);
  const out = await client(sts, NODE, 3).send(new GetCallerIdentityCommand({}));
  t.is(out.Arn, NODE.arn);
  t.deepEqual(sts.calls.map((c) => c.errorCode ?? c.outcome), ['Throttling', 'Throttling', 'ok']);
});

test('denied roles: configuration, denyRole with a code, and allowRole', async (t) => {
  const other = `arn:aws:iam::${ACCOUNT}:role/other`;
  const { sts } = await start(t, { roles: { [other]: { denied: true } } });
  t.is((await errorOf(client(sts).send(new AssumeRoleCommand({ RoleArn: other, RoleSessionName: 'ab' })))).name, 'AccessDenied');
  sts.faults.denyRole(DEMO_ROLE);
  const denied = await errorOf(assumeDemoRole(sts));
  t.deepEqual([denied.name, denied.status], ['AccessDenied', 403]);
  t.is(denied.message, `User: ${NODE.arn} is not authorized to perform: sts:AssumeRole on resource: ${DEMO_ROLE}`);
  sts.faults.denyRole(DEMO_ROLE, 'RegionDisabledException');
  const region = await errorOf(assumeDemoRole(sts));
  t.deepEqual([region.name, region.status], ['RegionDisabledException', 403]);
  sts.faults.allowRole(DEMO_ROLE);
  sts.faults.allowRole(other);
  await t.notThrowsAsync(assumeDemoRole(sts));
  await t.notThrowsAsync(client(sts).send(new AssumeRoleCommand({ RoleArn: other, RoleSessionName: 'ab' })));
});

test('expired credentials are ExpiredToken once the emulator clock passes their expiry', async (t) => {
  const { sts, clock } = await start(t);
  const { credentials } = await assumeDemoRole(sts, { DurationSeconds: 900 });
  await t.notThrowsAsync(client(sts, credentials).send(new GetCallerIdentityCommand({})));
  clock.now += 901_000;
  const err = await errorOf(client(sts, credentials).send(new GetCallerIdentityCommand({})));
  t.deepEqual([err.name, err.status], ['ExpiredToken', 403]);
  t.is(err.message, 'The security token included in the request is expired');
});

test('a clock more than 15 minutes off is "Signature expired"; the SDK corrects its skew from Date and retries', async (t) => {
  const { sts, clock } = await start(t);
  clock.now += 20 * 60_000;
  const err = await errorOf(client(sts).send(new GetCallerIdentityCommand({})));
  t.is(err.name, 'SignatureDoesNotMatch');
  t.regex(err.message, /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
  const out = await client(sts, NODE, 2).send(new GetCallerIdentityCommand({}));
  t.is(out.Arn, NODE.arn);
});

test('failNext injects any code, with the AWS status unless one is given', async (t) => {
  const { sts } = await start(t);
  sts.faults.failNext(1, 'InternalFailure');
  const internal = await errorOf(client(sts).send(new GetCallerIdentityCommand({})));
  t.deepEqual([internal.name, internal.status], ['InternalFailure', 500]);
  sts.faults.failNext(1, 'SomethingOdd', 418, { message: 'teapot' });
  const odd = await errorOf(client(sts).send(new GetCallerIdentityCommand({})));
  t.deepEqual([odd.name, odd.status, odd.message], ['SomethingOdd', 418, 'teapot']);
});

test('waitForCalls resolves when the awaited calls arrive and rejects on close', async (t) => {
  const { sts } = await start(t);
  const waiting = sts.waitForCalls('GetCallerIdentity', 2);
  await client(sts).send(new GetCallerIdentityCommand({}));
  await client(sts).send(new GetCallerIdentityCommand({}));
  t.is((await waiting).length, 2);
  const never = sts.waitForCalls('AssumeRole', 1);
  await sts.close();
  await t.throwsAsync(never, { message: /closed/ });
});
