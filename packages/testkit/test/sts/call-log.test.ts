import test from 'ava';
import { CallLog, callParams } from '../../src/sts/call-log.js';
import type { StsCall } from '../../src/sts/call-log.js';
import { parseQueryParams } from '../../src/sts/query-params.js';

function call(action: string, outcome: StsCall['outcome'] = 'ok'): StsCall {
  return { action, params: {}, outcome, at: 0 };
}

test('callParams keeps the AssumeRole parameters tests assert on', (t) => {
  const params = parseQueryParams(
    'Action=AssumeRole&RoleArn=arn&RoleSessionName=s&ExternalId=e&DurationSeconds=900&SourceIdentity=si' +
      '&Tags.member.1.Key=k&Tags.member.1.Value=&TransitiveTagKeys.member.1=k&Policy=ignored',
  );
  t.deepEqual(callParams(params), {
    RoleArn: 'arn',
    RoleSessionName: 's',
    ExternalId: 'e',
    SourceIdentity: 'si',
    DurationSeconds: 900,
    Tags: [{ Key: 'k', Value: '' }],
    TransitiveTagKeys: ['k'],
  });
  t.deepEqual(callParams(parseQueryParams('DurationSeconds=abc')), {});
});

test('count filters by action and predicate; all() is a copy', (t) => {
  const log = new CallLog();
  log.record(call('AssumeRole'));
  log.record(call('AssumeRole', 'error'));
  log.record(call('GetCallerIdentity'));
  t.is(log.count('AssumeRole'), 2);
  t.is(log.count('AssumeRole', (c) => c.outcome === 'error'), 1);
  const all = log.all();
  all.pop();
  t.is(log.all().length, 3);
});

test('waitFor resolves at once when enough calls exist, later when they arrive, and rejects on close', async (t) => {
  const log = new CallLog();
  log.record(call('A'));
  t.is((await log.waitFor(1, (c) => c.action === 'A')).length, 1);
  const two = log.waitFor(2, (c) => c.action === 'B');
  let settled = false;
  void two.then(() => (settled = true));
  log.record(call('B'));
  await Promise.resolve();
  t.false(settled);
  log.record(call('B'));
  t.is((await two).length, 2);
  const never = log.waitFor(1, (c) => c.action === 'C');
  log.close();
  await t.throwsAsync(never, { message: /closed/ });
  await t.throwsAsync(log.waitFor(1, () => true), { message: /closed/ });
});
