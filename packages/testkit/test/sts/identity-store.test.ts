import test from 'ava';
import { parseRoleArn } from '../../src/sts/arn.js';
import { createIdentityStore, defaultUserId } from '../../src/sts/identity-store.js';
import type { IssueRequest, Principal } from '../../src/sts/identity-store.js';
import { roleUniqueId } from '../../src/sts/ids.js';

const caller: Principal = { arn: 'arn:aws:iam::123456789012:user/node', userId: 'AIDA', accountId: '123456789012', issued: false };

function request(extra: Partial<IssueRequest> = {}): IssueRequest {
  return {
    role: parseRoleArn('arn:aws:iam::210987654321:role/path/app')!,
    roleSessionName: 'pod-1',
    durationSeconds: 900,
    caller,
    now: Date.UTC(2030, 0, 1, 0, 0, 0, 750),
    tags: [{ key: 'k', value: 'v' }],
    transitiveTagKeys: [],
    ...extra,
  };
}

test('base credentials are found by key, with a default principal and user id', (t) => {
  const store = createIdentityStore({
    accountId: '111122223333',
    baseCredentials: [
      { accessKeyId: 'AKIA1', secretAccessKey: 's1' },
      { accessKeyId: 'ASIA2', secretAccessKey: 's2', sessionToken: 't2', arn: 'arn:aws:sts::444455556666:assumed-role/node-role/i-0abc' },
    ],
  });
  t.deepEqual(store.find('AKIA1'), {
    secretAccessKey: 's1',
    principal: { arn: 'arn:aws:iam::111122223333:user/iam4kube', accountId: '111122223333', userId: defaultUserId('arn:aws:iam::111122223333:user/iam4kube', '111122223333'), issued: false },
  });
  const node = store.find('ASIA2')!;
  t.is(node.sessionToken, 't2');
  t.is(node.principal.accountId, '444455556666');
  t.is(node.principal.userId, `${roleUniqueId('arn:aws:iam::444455556666:role/node-role')}:i-0abc`);
  t.is(store.find('AKIA3'), undefined);
});

test('base credentials for a role are a session of that role, like instance-profile credentials', (t) => {
  const store = createIdentityStore({
    accountId: '123456789012',
    baseCredentials: [
      { accessKeyId: 'ASIA1', secretAccessKey: 's', sessionToken: 't', arn: 'arn:aws:iam::123456789012:role/nodes/node-role' },
      { accessKeyId: 'ASIA2', secretAccessKey: 's', sessionToken: 't', arn: 'arn:aws:iam::123456789012:role/node-role', sessionName: 'i-0abc' },
    ],
  });
  t.deepEqual(store.find('ASIA1')!.principal, {
    arn: 'arn:aws:sts::123456789012:assumed-role/node-role/node',
    userId: `${roleUniqueId('arn:aws:iam::123456789012:role/nodes/node-role')}:node`,
    accountId: '123456789012',
    issued: false,
  });
  t.is(store.find('ASIA2')!.principal.arn, 'arn:aws:sts::123456789012:assumed-role/node-role/i-0abc');
});

test('default user ids follow IAM conventions', (t) => {
  t.regex(defaultUserId('arn:aws:iam::123456789012:user/a', '123456789012'), /^AIDA[A-Z0-9]{17}$/);
  t.regex(defaultUserId('arn:aws:iam::123456789012:role/a', '123456789012'), /^AROA[A-Z0-9]{17}$/);
  t.is(defaultUserId('arn:aws:iam::123456789012:root', '123456789012'), '123456789012');
});

test('issued credentials are well-formed, unique, known to find() and listed in issued()', (t) => {
  const store = createIdentityStore({ accountId: '123456789012', baseCredentials: [] });
  const first = store.issue(request());
  const second = store.issue(request({ roleSessionName: 'pod-2' }));
  t.regex(first.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
  t.regex(first.secretAccessKey, /^[A-Za-z0-9+/]{40}$/);
  t.regex(first.sessionToken, /^IQoJb3JpZ2luX2VjE[A-Za-z0-9+/=]{400}$/);
  t.not(first.accessKeyId, second.accessKeyId);
  t.is(first.expiresAt, Date.UTC(2030, 0, 1, 0, 15, 0));
  t.is(first.assumedRoleArn, 'arn:aws:sts::210987654321:assumed-role/app/pod-1');
  t.is(first.assumedRoleId, `${roleUniqueId('arn:aws:iam::210987654321:role/path/app')}:pod-1`);
  t.is(first.assumedRoleId.split(':')[0], second.assumedRoleId.split(':')[0], 'one role, one unique id');
  t.deepEqual(store.find(first.accessKeyId), {
    secretAccessKey: first.secretAccessKey,
    sessionToken: first.sessionToken,
    expiresAt: first.expiresAt,
    principal: { arn: first.assumedRoleArn, userId: first.assumedRoleId, accountId: '210987654321', issued: true },
  });
  t.deepEqual(store.issued().map((c) => c.roleSessionName), ['pod-1', 'pod-2']);
});

test('a colliding random key is drawn again', (t) => {
  let calls = 0;
  // The first two key draws return the same bytes; the third differs.
  const random = (size: number): Uint8Array => {
    calls += 1;
    const fill = size === 16 ? (calls <= 4 ? 0 : calls) : calls;
    return new Uint8Array(size).fill(fill);
  };
  const store = createIdentityStore({ accountId: '123456789012', baseCredentials: [], random });
  const a = store.issue(request());
  const b = store.issue(request());
  t.not(a.accessKeyId, b.accessKeyId);
});
