import test from 'ava';
import { Writable } from 'node:stream';
import { setMaxListeners } from 'node:events';
import { ManualClock, createLogger, flushMicrotasks } from '@iam4kube/shared';
import { CredentialStore } from '../../src/credentials/credential-store.js';
import { CredentialsError, type AssumeRoleRequest, type Assumer, type Credentials } from '../../src/credentials/credentials.js';
import { roleBindingFor } from '../../src/identity/role-binding.js';

const logger = createLogger({ level: 'silent', stream: new Writable({ write: (_c, _e, cb) => cb() }) });
const MIN = 60_000;

/** A fake STS that answers when the test says so, like a real one with latency. */
class FakeSts implements Assumer {
  calls: AssumeRoleRequest[] = [];
  pending: Array<{ resolve: (c: Credentials) => void; reject: (e: Error) => void; request: AssumeRoleRequest }> = [];
  constructor(readonly clock: ManualClock) {}
  assumeRole(request: AssumeRoleRequest): Promise<Credentials> {
    this.calls.push(request);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject, request }));
  }
  answerAll(): void {
    for (const p of this.pending.splice(0)) {
      const now = this.clock.now();
      p.resolve({ accessKeyId: `ASIA${this.calls.length}`, secretAccessKey: 's', sessionToken: 't', issuedAt: now, expiration: now + p.request.durationSeconds * 1000 });
    }
  }
  failAll(err: Error): void {
    for (const p of this.pending.splice(0)) p.reject(err);
  }
}

const binding = roleBindingFor('demo', 'app', { 'iam.amazonaws.com/roleArn': 'arn:aws:iam::123456789012:role/demo-role' });
if (binding.kind !== 'role') throw new Error('bad fixture');

function setup() {
  const clock = new ManualClock(0);
  const sts = new FakeSts(clock);
  const store = new CredentialStore({
    assumer: sts,
    limiter: { schedule: (task) => task() },
    clock,
    logger,
    sessionDurationMs: 60 * MIN,
    refreshBeforeMs: 30 * MIN,
    safetyMarginMs: 5 * MIN,
    parkedRetryMs: 5 * MIN,
    retryInitialMs: 1000,
    retryMaxMs: 60_000,
    random: () => 0,
  });
  return { clock, sts, store };
}

const never = new AbortController().signal;
setMaxListeners(0, never); // one shared signal stands in for 1,000 requests' own

test('retain prefetches before any request', async (t) => {
  const { sts, store } = setup();
  store.retain(binding);
  t.is(sts.calls.length, 1);
  t.like(sts.calls[0], { roleArn: 'arn:aws:iam::123456789012:role/demo-role', sessionName: 'demo@app', durationSeconds: 3600 });
  t.is(store.status().pending, 1);
  sts.answerAll();
  await flushMicrotasks();
  t.is(store.status().fresh, 1);
  await store.get(binding, never);
  t.is(sts.calls.length, 1, 'served from memory');
});

test('a stampede of 1,000 requests for a cold entry makes exactly one AssumeRole', async (t) => {
  const { sts, store } = setup();
  store.retain(binding);
  const requests = Array.from({ length: 1000 }, () => store.get(binding, never));
  sts.answerAll();
  const answers = await Promise.all(requests);
  t.is(sts.calls.length, 1);
  t.true(answers.every((a) => a === answers[0]));
});

test('refreshes when 30 minutes are left, not before', async (t) => {
  const { clock, sts, store } = setup();
  store.retain(binding);
  sts.answerAll();
  await flushMicrotasks();
  await clock.advance(30 * MIN - 1);
  t.is(sts.calls.length, 1);
  await clock.advance(1);
  t.is(sts.calls.length, 2);
});

test('a permanent error parks the entry: answered at once, retried after the park period', async (t) => {
  const { clock, sts, store } = setup();
  store.retain(binding);
  sts.failAll(new CredentialsError('not authorized', 'AccessDenied', true));
  await flushMicrotasks();
  t.is(store.status().parked, 1);
  await t.throwsAsync(store.get(binding, never), { message: 'not authorized' });
  t.is(sts.calls.length, 1, 'no STS call for a parked entry');
  await clock.advance(5 * MIN);
  t.is(sts.calls.length, 2);
});

test('a transient error is retried with backoff', async (t) => {
  const { clock, sts, store } = setup();
  store.retain(binding);
  sts.failAll(new CredentialsError('slow down', 'Throttling', false));
  await flushMicrotasks();
  t.is(store.status().parked, 0);
  await clock.advance(499);
  t.is(sts.calls.length, 1);
  await clock.advance(1);
  t.is(sts.calls.length, 2);
});

test('release of the last reference drops the entry and its timers', async (t) => {
  const { clock, sts, store } = setup();
  store.retain(binding);
  store.retain(binding);
  sts.answerAll();
  await flushMicrotasks();
  store.release(binding);
  t.is(store.status().entries, 1);
  store.release(binding);
  t.is(store.status().entries, 0);
  await clock.advance(120 * MIN);
  t.is(sts.calls.length, 1, 'no refresh for a dropped entry');
  await t.throwsAsync(store.get(binding, never));
});
