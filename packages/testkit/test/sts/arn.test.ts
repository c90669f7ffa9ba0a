import test from 'ava';
import { accountOf, assumedRoleArn, parseRoleArn } from '../../src/sts/arn.js';

test('role ARNs in every partition, with and without a path', (t) => {
  t.deepEqual(parseRoleArn('arn:aws:iam::123456789012:role/demo-role'), {
    arn: 'arn:aws:iam::123456789012:role/demo-role',
    partition: 'aws',
    accountId: '123456789012',
    path: '/',
    name: 'demo-role',
  });
  t.like(parseRoleArn('arn:aws-us-gov:iam::123456789012:role/a/b/name+=,.@_-'), { partition: 'aws-us-gov', path: '/a/b/', name: 'name+=,.@_-' });
  t.like(parseRoleArn('arn:aws-cn:iam::123456789012:role/x'), { partition: 'aws-cn' });
});

test('anything else is not a role ARN', (t) => {
  for (const arn of [
    'arn:aws:iam::123456789012:user/demo',
    'arn:aws-iso:iam::123456789012:role/demo',
    'arn:aws:iam::1234567890123:role/demo',
    'arn:aws:iam:us-east-1:123456789012:role/demo',
    'arn:aws:iam::123456789012:role/',
    `arn:aws:iam::123456789012:role/${'n'.repeat(65)}`,
    'arn:aws:iam::123456789012:role/a//b',
    'arn:aws:iam::123456789012:role/demo role',
  ]) {
    t.is(parseRoleArn(arn), undefined, arn);
  }
});

test('assumed-role ARNs and accounts', (t) => {
  t.is(assumedRoleArn(parseRoleArn('arn:aws:iam::123456789012:role/p/demo')!, 'sess'), 'arn:aws:sts::123456789012:assumed-role/demo/sess');
  t.is(accountOf('arn:aws:sts::210987654321:assumed-role/a/b'), '210987654321');
  t.is(accountOf('arn:aws:s3:::bucket'), undefined);
});
