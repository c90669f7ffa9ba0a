import test from 'ava';
import { assumeRole, checkRoleConfig, getCallerIdentity } from '../../src/sts/actions.js';
import type { ActionContext, RoleConfig } from '../../src/sts/actions.js';
import { StsError } from '../../src/sts/errors.js';
import { createIdentityStore } from '../../src/sts/identity-store.js';
import type { Principal } from '../../src/sts/identity-store.js';
import { parseQueryParams } from '../../src/sts/query-params.js';

const ROLE = 'arn:aws:iam::123456789012:role/demo-role';
const NOW = Date.UTC(2030, 0, 1, 12, 0, 0, 500);
const USER: Principal = { arn: 'arn:aws:iam::123456789012:user/node', userId: 'AIDAEXAMPLE', accountId: '123456789012', issued: false };
const SESSION: Principal = { ...USER, arn: 'arn:aws:sts::123456789012:assumed-role/a/b', issued: true };

function context(roles: Record<string, RoleConfig> = {}, extra: Partial<ActionContext> = {}): ActionContext {
  return {
    now: NOW,
    accountId: '123456789012',
    store: createIdentityStore({ accountId: '123456789012', baseCredentials: [] }),
    roles,
    unknownRoles: 'allow',
    override: () => undefined,
    ...extra,
  };
}

function call(ctx: ActionContext, params: Record<string, string>, caller = USER) {
  return assumeRole(ctx, caller, parseQueryParams(new URLSearchParams({ RoleArn: ROLE, RoleSessionName: 's1', ...params }).toString()));
}

function error(fn: () => unknown): { code: string; status: number; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof StsError) return { code: err.code, status: err.status, message: err.message };
    throw err;
  }
  throw new Error('expected an StsError');
}

const MAX_MESSAGE = 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.';
const CHAIN_MESSAGE = 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.';

test('issues credentials for the default hour, expiring on a whole second', (t) => {
  const out = call(context(), {});
  t.is(out.credentials.expiresAt, Date.UTC(2030, 0, 1, 13, 0, 0));
  t.is(out.credentials.assumedRoleArn, 'arn:aws:sts::123456789012:assumed-role/demo-role/s1');
  t.is(out.credentials.callerArn, USER.arn);
  t.is(out.packedPolicySize, undefined);
});

test('the role session ARN drops the role path and keeps the partition', (t) => {
  const out = call(context(), { RoleArn: 'arn:aws-cn:iam::210987654321:role/team/a/app' });
  t.is(out.credentials.assumedRoleArn, 'arn:aws-cn:sts::210987654321:assumed-role/app/s1');
  t.is(out.credentials.accountId, '210987654321');
});

test('DurationSeconds above the role maximum (default 3600) is refused', (t) => {
  t.notThrows(() => call(context(), { DurationSeconds: '3600' }));
  t.deepEqual(error(() => call(context(), { DurationSeconds: '3601' })), { code: 'ValidationError', status: 400, message: MAX_MESSAGE });
  const long = context({ [ROLE]: { maxSessionDuration: 43200 } });
  t.is(call(long, { DurationSeconds: '43200' }).credentials.expiresAt - Date.UTC(2030, 0, 1, 12), 43200_000);
  t.regex(error(() => call(long, { DurationSeconds: '43201' })).message, /Member must have value less than or equal to 43200/);
});

test('role chaining: 3600 passes and 3601 fails even when the role allows more', (t) => {
  const long = context({ [ROLE]: { maxSessionDuration: 43200 } });
  t.notThrows(() => call(long, { DurationSeconds: '3600' }, SESSION));
  t.deepEqual(error(() => call(long, { DurationSeconds: '3601' }, SESSION)), { code: 'ValidationError', status: 400, message: CHAIN_MESSAGE });
  t.notThrows(() => call(long, { DurationSeconds: '3601' }, USER), 'not chaining for base credentials');
});

test('a malformed role ARN is "Request ARN is invalid"', (t) => {
  for (const arn of ['arn:aws:iam::123456789012:user/bob', 'arn:aws:iam::12345678901:role/x', 'arn:aws:iam::123456789012:role/', 'arn:aws:s3:::bucket-name-long', 'arn:aws:iam::123456789012:role/a b']) {
    t.deepEqual(error(() => call(context(), { RoleArn: arn })), { code: 'ValidationError', status: 400, message: 'Request ARN is invalid' }, arn);
  }
});

test('denied roles, unknown roles when configured to deny, and external IDs give AccessDenied with AWS message', (t) => {
  const denied = `User: ${USER.arn} is not authorized to perform: sts:AssumeRole on resource: ${ROLE}`;
  t.deepEqual(error(() => call(context({ [ROLE]: { denied: true } }), {})), { code: 'AccessDenied', status: 403, message: denied });
  t.is(error(() => call(context({}, { unknownRoles: 'deny' }), {})).message, denied);
  t.notThrows(() => call(context({ [ROLE]: {} }, { unknownRoles: 'deny' }), {}));
  const ext = context({ [ROLE]: { externalId: 'secret-ext' } });
  t.is(error(() => call(ext, {})).message, denied);
  t.is(error(() => call(ext, { ExternalId: 'other-ext' })).message, denied);
  t.is(call(ext, { ExternalId: 'secret-ext' }).credentials.externalId, 'secret-ext');
});

test('fault overrides take precedence over configuration', (t) => {
  const allow = context({ [ROLE]: { denied: true, externalId: 'x1' } }, { override: () => 'allow' });
  t.notThrows(() => call(allow, {}));
  const region = context({}, { override: () => 'RegionDisabledException' });
  t.like(error(() => call(region, {})), { code: 'RegionDisabledException', status: 403 });
  t.regex(error(() => call(region, {})).message, /account:123456789012/);
  t.like(error(() => call(context({}, { override: () => 'AccessDenied' }), {})), { code: 'AccessDenied', status: 403 });
});

test('tags produce a PackedPolicySize percentage; too many bytes is PackedPolicyTooLarge', (t) => {
  t.is(call(context(), { 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'payments' }).packedPolicySize, 1);
  const big: Record<string, string> = {};
  for (let i = 1; i <= 20; i++) {
    big[`Tags.member.${i}.Key`] = `${i}`.padEnd(128, 'k');
    big[`Tags.member.${i}.Value`] = 'v'.repeat(256);
  }
  t.like(error(() => call(context(), big)), { code: 'PackedPolicyTooLarge', status: 400 });
});

test('GetCallerIdentity reports the principal', (t) => {
  t.deepEqual(getCallerIdentity(USER), { arn: USER.arn, userId: USER.userId, account: '123456789012' });
});

test('role configuration is checked at start', (t) => {
  t.throws(() => checkRoleConfig({ 'not-an-arn': {} }), { message: /not a valid IAM role ARN/ });
  t.throws(() => checkRoleConfig({ [ROLE]: { maxSessionDuration: 3599 } }), { message: /3600 to 43200/ });
  t.throws(() => checkRoleConfig({ [ROLE]: { maxSessionDuration: 43201 } }), { message: /3600 to 43200/ });
  t.notThrows(() => checkRoleConfig({ [ROLE]: { maxSessionDuration: 43200 } }));
});
