import test from 'ava';
import { createFaultState } from '../../src/sts/faults.js';

test('failNext fails the next n requests with the code, AWS status by default, then stops', (t) => {
  const faults = createFaultState();
  faults.controls.failNext(2, 'InternalFailure');
  t.like(faults.takeInjectedError('GetCallerIdentity'), { code: 'InternalFailure', status: 500, type: 'Receiver' });
  t.like(faults.takeInjectedError('AssumeRole'), { code: 'InternalFailure', status: 500 });
  t.is(faults.takeInjectedError('AssumeRole'), undefined);
  faults.controls.failNext(1, 'Custom', 429, { message: 'slow down' });
  t.like(faults.takeInjectedError('AssumeRole'), { code: 'Custom', status: 429, message: 'slow down', type: 'Sender' });
  faults.controls.failNext(0, 'Custom');
  t.is(faults.takeInjectedError('AssumeRole'), undefined);
  t.throws(() => faults.controls.failNext(-1, 'Custom'), { instanceOf: RangeError });
});

test('an action filter leaves other actions alone; failures are used in the order they were queued', (t) => {
  const faults = createFaultState();
  faults.controls.throttleNext(1, 'AssumeRole');
  faults.controls.failNext(1, 'ServiceUnavailable');
  t.like(faults.takeInjectedError('GetCallerIdentity'), { code: 'ServiceUnavailable', status: 503 });
  t.is(faults.takeInjectedError('GetCallerIdentity'), undefined);
  t.like(faults.takeInjectedError('AssumeRole'), { code: 'Throttling', status: 400, message: 'Rate exceeded' });
  t.is(faults.takeInjectedError('AssumeRole'), undefined);
});

test('throttleAll persists until turned off; clear() resets everything', (t) => {
  const faults = createFaultState();
  faults.controls.throttleAll(true);
  t.like(faults.takeInjectedError('AssumeRole'), { code: 'Throttling' });
  t.like(faults.takeInjectedError('AssumeRole'), { code: 'Throttling' });
  faults.controls.throttleAll(false);
  t.is(faults.takeInjectedError('AssumeRole'), undefined);
  faults.controls.throttleAll(true);
  faults.controls.setLatency(50);
  faults.controls.outage('hang');
  faults.controls.denyRole('arn:aws:iam::123456789012:role/r');
  faults.controls.failNext(3, 'X');
  faults.controls.clear();
  t.is(faults.takeInjectedError('AssumeRole'), undefined);
  t.is(faults.latencyMs(), 0);
  t.is(faults.outageMode(), false);
  t.is(faults.roleOverride('arn:aws:iam::123456789012:role/r'), undefined);
});

test('denyRole and allowRole record per-role overrides', (t) => {
  const faults = createFaultState();
  const role = 'arn:aws:iam::123456789012:role/r';
  t.is(faults.roleOverride(role), undefined);
  faults.controls.denyRole(role);
  t.is(faults.roleOverride(role), 'AccessDenied');
  faults.controls.denyRole(role, 'RegionDisabledException');
  t.is(faults.roleOverride(role), 'RegionDisabledException');
  faults.controls.allowRole(role);
  t.is(faults.roleOverride(role), 'allow');
});

test('latency and outage settings', (t) => {
  const faults = createFaultState();
  faults.controls.setLatency(250);
  t.is(faults.latencyMs(), 250);
  t.throws(() => faults.controls.setLatency(-1), { instanceOf: RangeError });
  faults.controls.outage('503');
  t.is(faults.outageMode(), '503');
  faults.controls.outage(false);
  t.is(faults.outageMode(), false);
});
