import test from 'ava';
import { createParkedReporter, type EventRecorder, type PodRef } from '../../src/credentials/parked-reporter.js';
import { CredentialsError } from '../../src/credentials/credentials.js';
import { captureLogger, session } from './fakes.js';

const pod = (name: string, sa: string, extra: Partial<PodRef> = {}): PodRef => ({ namespace: 'ns', name, uid: `uid-${name}`, serviceAccountName: sa, hostNetwork: false, phase: 'Running', ...extra });
const denied = new CredentialsError('User: node is not authorized to perform: sts:AssumeRole', 'AccessDenied', true);
type Recorded = Parameters<EventRecorder['record']>[0];

function setup(pods: PodRef[], withRecorder = true) {
  const events: Recorded[] = [];
  const { logger, lines } = captureLogger();
  const report = createParkedReporter({ events: withRecorder ? { record: (e) => events.push(e) } : undefined, pods: () => pods, logger, maxPods: 3 });
  return { events, lines, report };
}

test('a Warning Event on each pod running as the ServiceAccount (a few at most)', (t) => {
  const pods = [pod('a1', 'app'), pod('other', 'other'), pod('host', 'app', { hostNetwork: true }), pod('done', 'app', { phase: 'Succeeded' }), pod('a2', 'app'), pod('a3', 'app'), pod('a4', 'app')];
  const { events, report } = setup(pods);
  report(session('ns', 'app', 'demo-role'), denied);
  t.deepEqual(events.map((e) => ('pod' in e ? e.pod.name : '')), ['a1', 'a2', 'a3']);
  t.like(events[0], { type: 'Warning', reason: 'AssumeRoleRefused', pod: { namespace: 'ns', name: 'a1', uid: 'uid-a1' } });
  t.regex(events[0]!.message, /STS refused to assume arn:aws:iam::123456789012:role\/demo-role for ServiceAccount ns\/app \(AccessDenied: User: node is not authorized/);
});

test('no pod uses the ServiceAccount: the Event goes on the ServiceAccount', (t) => {
  const { events, report } = setup([pod('x', 'other')]);
  report(session('ns', 'app'), denied);
  t.is(events.length, 1);
  t.like(events[0], { type: 'Warning', reason: 'AssumeRoleRefused', serviceAccount: { namespace: 'ns', name: 'app', uid: 'uid-sa-app' } });
});

test('no uid to point at, or no recorder: nothing but the log lines', (t) => {
  const noUid = setup([]);
  noUid.report(session('ns', 'app', 'demo-role', { serviceAccountUid: '' }), denied);
  t.is(noUid.events.length, 0);
  t.like(noUid.lines[0], { msg: 'no pod or ServiceAccount uid to report the refused role on', serviceAccount: 'ns/app' });
  const noRecorder = setup([pod('a1', 'app')], false);
  noRecorder.report(session('ns', 'app'), denied);
  t.is(noRecorder.lines.length, 0, 'the store already logged the parking');
});
