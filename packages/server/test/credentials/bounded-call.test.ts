import test from 'ava';
import { ManualClock } from '@iam4kube/shared';
import { assumeWithin } from '../../src/credentials/bounded-call.js';
import { CredentialsError, type AssumeRoleRequest } from '../../src/credentials/credentials.js';
import { FakeSts } from './fakes.js';

const request: AssumeRoleRequest = { roleArn: 'arn:aws:iam::123456789012:role/r', sessionName: 'ns@sa', externalId: undefined, durationSeconds: 3600, tags: [], sourceIdentity: undefined };

test('answers with what STS returns, and leaves no timer behind', async (t) => {
  const clock = new ManualClock(0);
  const call = assumeWithin(new FakeSts(clock), request, clock, 5000);
  t.is((await call.result).expiration, 3600_000);
  t.is(clock.pendingTimers, 0);
});

test('a call STS never answers fails with Timeout at the bound, and its request is aborted', async (t) => {
  const clock = new ManualClock(0);
  const sts = new FakeSts(clock);
  sts.mode = 'hang';
  let aborted: unknown;
  const call = assumeWithin({ assumeRole: (r, signal) => (signal?.addEventListener('abort', () => (aborted = signal.reason)), sts.assumeRole(r, signal)) }, request, clock, 5000);
  await clock.advance(4999);
  t.is(aborted, undefined);
  await clock.advance(1);
  const error = await t.throwsAsync(call.result);
  t.like(error, { code: 'Timeout', permanent: false });
  t.is(aborted, error);
});

test('cancel ends the call with the given error', async (t) => {
  const clock = new ManualClock(0);
  const sts = new FakeSts(clock);
  sts.mode = 'hang';
  const call = assumeWithin(sts, request, clock, 5000);
  call.cancel(new CredentialsError('gone', 'Released', false));
  await t.throwsAsync(call.result, { message: 'gone' });
  t.is(clock.pendingTimers, 0);
});
