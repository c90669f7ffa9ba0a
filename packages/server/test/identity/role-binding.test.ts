import test from 'ava';
import { checkExternalId, checkRoleArn, roleBindingFor } from '../../src/identity/role-binding.js';

const ARN = 'iam.amazonaws.com/roleArn';
const EXT = 'iam.amazonaws.com/roleExternalId';

const validArns: Array<[string, string]> = [
  ['arn:aws:iam::123456789012:role/demo-role', 'demo-role'],
  ['arn:aws-cn:iam::123456789012:role/r', 'r'],
  ['arn:aws-us-gov:iam::123456789012:role/path/to/My+Role=,.@_-', 'My+Role=,.@_-'],
  [`arn:aws:iam::123456789012:role/${'a'.repeat(64)}`, 'a'.repeat(64)],
];
for (const [arn, name] of validArns) {
  test(`valid role ARN ${arn.slice(0, 60)}`, (t) => {
    t.deepEqual(checkRoleArn(arn), { ok: true, roleName: name });
  });
}

const invalidArns = [
  'demo-role',
  'arn:aws:iam::12345678901:role/short-account',
  'arn:aws:iam::1234567890123:role/long-account',
  'arn:aws:sts::123456789012:assumed-role/r/s',
  'arn:aws:iam::123456789012:user/bob',
  'arn:aws-iso:iam::123456789012:role/r',
  'arn:aws:iam::123456789012:role/',
  `arn:aws:iam::123456789012:role/${'a'.repeat(65)}`,
  'arn:aws:iam::123456789012:role/bad name',
  'arn:aws:iam::123456789012:role/pa th/r',
];
for (const arn of invalidArns) {
  test(`invalid role ARN ${arn.slice(0, 60)}`, (t) => {
    const result = checkRoleArn(arn);
    t.false(result.ok);
  });
}

test('external ID bounds and characters', (t) => {
  t.truthy(checkExternalId('a'));
  t.is(checkExternalId('ab'), undefined);
  t.is(checkExternalId('x'.repeat(1224)), undefined);
  t.truthy(checkExternalId('x'.repeat(1225)));
  t.is(checkExternalId('a:b/c=d,e.f@g-h_i+j'), undefined);
  t.truthy(checkExternalId('no spaces'));
});

test('no annotation means no role', (t) => {
  t.deepEqual(roleBindingFor('demo', 'app', undefined), { kind: 'none' });
  t.deepEqual(roleBindingFor('demo', 'app', { other: 'x' }), { kind: 'none' });
});

test('a valid annotation binds the role with the session name', (t) => {
  t.deepEqual(roleBindingFor('demo', 'app', { [ARN]: 'arn:aws:iam::123456789012:role/team/demo-role', [EXT]: 'ext-1' }), {
    kind: 'role',
    roleArn: 'arn:aws:iam::123456789012:role/team/demo-role',
    roleName: 'demo-role',
    externalId: 'ext-1',
    sessionName: 'demo@app',
  });
});

test('an invalid ARN or external ID gives an invalid binding with a reason, never a role', (t) => {
  const bad = roleBindingFor('demo', 'app', { [ARN]: 'demo-role' });
  t.is(bad.kind, 'invalid');
  t.regex((bad as { reason: string }).reason, /roleArn.*not a full IAM role ARN/);
  const badExt = roleBindingFor('demo', 'app', { [ARN]: 'arn:aws:iam::123456789012:role/r', [EXT]: 'x' });
  t.is(badExt.kind, 'invalid');
  t.regex((badExt as { reason: string }).reason, /roleExternalId/);
});
