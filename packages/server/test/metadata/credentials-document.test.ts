import test from 'ava';
import { accountOfRoleArn, credentialsDocument, imdsTime } from '../../src/metadata/credentials-document.js';
import { CREDENTIALS } from './harness.js';

test('times are second precision with Z', (t) => {
  t.is(imdsTime(Date.UTC(2026, 1, 3, 4, 5, 6, 789)), '2026-02-03T04:05:06Z');
});

test('the classic document has exactly the EC2 fields, in EC2 order; the extended one adds AccountId', (t) => {
  const classic = JSON.parse(credentialsDocument(CREDENTIALS)) as Record<string, string>;
  t.deepEqual(Object.keys(classic), ['Code', 'LastUpdated', 'Type', 'AccessKeyId', 'SecretAccessKey', 'Token', 'Expiration']);
  t.is(classic.Code, 'Success');
  t.is(classic.Type, 'AWS-HMAC');
  const extended = JSON.parse(credentialsDocument(CREDENTIALS, '123456789012')) as Record<string, string>;
  t.is(extended.AccountId, '123456789012');
});

test('the account comes from the role ARN, in every partition', (t) => {
  t.is(accountOfRoleArn('arn:aws:iam::123456789012:role/a/b/c'), '123456789012');
  t.is(accountOfRoleArn('arn:aws-us-gov:iam::210987654321:role/x'), '210987654321');
  t.is(accountOfRoleArn('nonsense'), undefined);
});
