import test from 'ava';
import { StsError } from '../../src/sts/errors.js';
import { parseQueryParams } from '../../src/sts/query-params.js';
import { checkDuration, checkString, readAssumeRoleInput, RULES, validationMessage } from '../../src/sts/validation.js';

const ROLE = 'arn:aws:iam::123456789012:role/demo-role';

function input(extra: Record<string, string> = {}) {
  return readAssumeRoleInput(parseQueryParams(new URLSearchParams({ RoleArn: ROLE, RoleSessionName: 'demo@app', ...extra }).toString()));
}

function messageOf(extra: Record<string, string>): string {
  try {
    input(extra);
  } catch (err) {
    if (err instanceof StsError && err.code === 'ValidationError' && err.status === 400) return err.message;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

test('a minimal request reads with defaults', (t) => {
  t.deepEqual(input(), { roleArn: ROLE, roleSessionName: 'demo@app', tags: [], transitiveTagKeys: [], policyArns: [] });
});

test('RoleSessionName: 2 and 64 characters pass, 1 and 65 fail, and so does a character outside [\\w+=,.@-]', (t) => {
  t.notThrows(() => input({ RoleSessionName: 'ab' }));
  t.notThrows(() => input({ RoleSessionName: 'a'.repeat(64) }));
  t.notThrows(() => input({ RoleSessionName: 'A_b+c=d,e.f@g-h9' }));
  t.is(messageOf({ RoleSessionName: 'a' }), "1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2");
  t.is(
    messageOf({ RoleSessionName: 'a'.repeat(65) }),
    `1 validation error detected: Value '${'a'.repeat(65)}' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64`,
  );
  t.is(
    messageOf({ RoleSessionName: 'demo app' }),
    "1 validation error detected: Value 'demo app' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
  );
  t.is(
    messageOf({ RoleSessionName: '/' }),
    "2 validation errors detected: Value '/' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; " +
      "Value '/' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
  );
});

test('missing required members are reported as null', (t) => {
  t.throws(() => readAssumeRoleInput(parseQueryParams('')), {
    message:
      "2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; " +
      "Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null",
  });
});

test('RoleArn: 20 to 2048 characters', (t) => {
  t.is(checkString('roleArn', 'a'.repeat(20), RULES.roleArn).length, 0);
  t.is(checkString('roleArn', 'a'.repeat(2048), RULES.roleArn).length, 0);
  t.is(messageOf({ RoleArn: 'a'.repeat(19) }), `1 validation error detected: Value '${'a'.repeat(19)}' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20`);
  t.regex(messageOf({ RoleArn: 'a'.repeat(2049) }), /at 'roleArn' failed to satisfy constraint: Member must have length less than or equal to 2048$/);
  t.regex(messageOf({ RoleArn: `${'a'.repeat(20)}\u0001` }), /at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern/);
  t.is(checkString('roleArn', `arn:aws:iam::123456789012:role/\u{1F600}`, RULES.roleArn).length, 0, 'astral characters are allowed');
});

test('DurationSeconds: 900 and 43200 pass, 899 and 43201 fail, non-integers fail', (t) => {
  t.is(input({ DurationSeconds: '900' }).durationSeconds, 900);
  t.is(input({ DurationSeconds: '43200' }).durationSeconds, 43200);
  t.is(messageOf({ DurationSeconds: '899' }), "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900");
  t.is(messageOf({ DurationSeconds: '43201' }), "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200");
  t.deepEqual(checkDuration('1.5').map((v) => v.constraint), ['Member must be an integer']);
});

test('ExternalId: 2 to 1224 characters of [\\w+=,.@:/-]', (t) => {
  t.is(input({ ExternalId: 'ab' }).externalId, 'ab');
  t.notThrows(() => input({ ExternalId: 'e'.repeat(1224) }));
  t.notThrows(() => input({ ExternalId: 'urn:ext/id=1,2.3@4-5+6_7' }));
  t.regex(messageOf({ ExternalId: 'a' }), /at 'externalId' failed to satisfy constraint: Member must have length greater than or equal to 2$/);
  t.regex(messageOf({ ExternalId: 'e'.repeat(1225) }), /at 'externalId' failed to satisfy constraint: Member must have length less than or equal to 1224$/);
  t.regex(messageOf({ ExternalId: 'a b' }), /at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: \[\\w\+=,\.@:\\\/-\]\*$/);
});

test('SourceIdentity: 2 to 64 characters, no "aws:" prefix', (t) => {
  t.is(input({ SourceIdentity: 'al' }).sourceIdentity, 'al');
  t.notThrows(() => input({ SourceIdentity: 's'.repeat(64) }));
  t.regex(messageOf({ SourceIdentity: 's' }), /at 'sourceIdentity' failed to satisfy constraint: Member must have length greater than or equal to 2$/);
  t.regex(messageOf({ SourceIdentity: 's'.repeat(65) }), /at 'sourceIdentity' failed to satisfy constraint: Member must have length less than or equal to 64$/);
  t.regex(messageOf({ SourceIdentity: 'aws:alice' }), /Value 'aws:alice' at 'sourceIdentity' failed to satisfy constraint: Member must satisfy regular expression pattern/);
});

function tags(n: number, key = (i: number) => `k${i}`, value = (_i: number) => 'v'): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 1; i <= n; i++) {
    out[`Tags.member.${i}.Key`] = key(i);
    out[`Tags.member.${i}.Value`] = value(i);
  }
  return out;
}

test('Tags: up to 50; keys 1 to 128 characters, values 0 to 256; unicode letters allowed', (t) => {
  t.is(input(tags(50)).tags.length, 50);
  t.regex(messageOf(tags(51)), /^1 validation error detected: Value '\[.*\]' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50$/);
  t.deepEqual(input(tags(1, () => 'k'.repeat(128), () => 'v'.repeat(256))).tags[0], { key: 'k'.repeat(128), value: 'v'.repeat(256) });
  t.deepEqual(input(tags(1, () => 'équipe', () => '')).tags, [{ key: 'équipe', value: '' }]);
  t.regex(messageOf(tags(1, () => 'k'.repeat(129))), /at 'tags\.1\.member\.key' failed to satisfy constraint: Member must have length less than or equal to 128$/);
  t.regex(messageOf(tags(2, (i) => (i === 2 ? '' : 'a'))), /Value '' at 'tags\.2\.member\.key' failed to satisfy constraint: Member must have length greater than or equal to 1/);
  t.regex(messageOf(tags(1, () => 'k', () => 'v'.repeat(257))), /at 'tags\.1\.member\.value' failed to satisfy constraint: Member must have length less than or equal to 256$/);
  t.regex(messageOf(tags(1, () => 'k*')), /at 'tags\.1\.member\.key' failed to satisfy constraint: Member must satisfy regular expression pattern/);
  t.regex(messageOf({ 'Tags.member.1.Key': 'k' }), /Value null at 'tags\.1\.member\.value' failed to satisfy constraint: Member must not be null/);
  t.throws(() => input(tags(2, (i) => (i === 1 ? 'Team' : 'team'))), {
    message: 'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
  });
});

test('TransitiveTagKeys are read and validated like tag keys', (t) => {
  t.deepEqual(input({ ...tags(1), 'TransitiveTagKeys.member.1': 'k1' }).transitiveTagKeys, ['k1']);
  t.regex(messageOf({ 'TransitiveTagKeys.member.1': '' }), /at 'transitiveTagKeys\.1\.member' failed to satisfy constraint: Member must have length greater than or equal to 1/);
});

test('several violations are reported together in one message', (t) => {
  t.is(
    messageOf({ RoleSessionName: 'a', DurationSeconds: '43201', ExternalId: 'x' }),
    "3 validation errors detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; " +
      "Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200; " +
      "Value 'x' at 'externalId' failed to satisfy constraint: Member must have length greater than or equal to 2",
  );
  t.is(validationMessage([{ value: null, member: 'm', constraint: 'c' }]), "1 validation error detected: Value null at 'm' failed to satisfy constraint: c");
});
