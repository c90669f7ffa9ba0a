import test from 'ava';
import { PodIndex } from '../../src/kube/pod-index.js';
import { ServiceAccountIndex } from '../../src/kube/service-account-index.js';
import type { EventRecorder, EventToRecord } from '../../src/kube/event-recorder.js';
import { AMBIGUOUS_IP_REASON, HOST_NETWORK_REASON, INVALID_BINDING_REASON, IdentityWarnings } from '../../src/identity/identity-warnings.js';
import { ROLE_ARN, capturingLogger, podObject, serviceAccountObject } from './support.js';

function setup() {
  const recorded: EventToRecord[] = [];
  const events: EventRecorder = { record: (e) => recorded.push(e) };
  const { logger, lines } = capturingLogger();
  let warnings!: IdentityWarnings;
  const serviceAccounts = new ServiceAccountIndex({ serviceAccountChanged: (_k, record, previous) => warnings.serviceAccountChanged(record, previous) });
  warnings = new IdentityWarnings({ events, logger, serviceAccounts });
  const pods = new PodIndex({
    ipChanged: () => {},
    ambiguousIp: (ip, found) => warnings.ambiguousIp(ip, found),
    hostNetworkPodChanged: (record, previous) => warnings.hostNetworkPodChanged(record, previous),
  });
  return { recorded, lines, pods, serviceAccounts };
}

test('two live pods on one IP: a Warning Event on each, naming the other, and one log line', (t) => {
  const { recorded, lines, pods } = setup();
  pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.0.1' }));
  pods.apply('ADDED', podObject({ uid: 'b', ip: '10.0.0.1' }));
  t.deepEqual(
    recorded.map((e) => ['pod' in e ? e.pod.uid : '', e.type, e.reason]),
    [
      ['a', 'Warning', AMBIGUOUS_IP_REASON],
      ['b', 'Warning', AMBIGUOUS_IP_REASON],
    ],
  );
  t.regex(recorded[0]!.message, /10\.0\.0\.1 is also used by demo\/pod-b/);
  t.is(lines.filter((l) => l.includes('live pods share an IP')).length, 1);
  t.regex(lines.find((l) => l.includes('live pods share an IP'))!, /"ip":"10.0.0.1"/);
});

test('an invalid binding: a Warning Event on the ServiceAccount and a log line, once per distinct problem', (t) => {
  const { recorded, lines, serviceAccounts } = setup();
  serviceAccounts.apply('ADDED', serviceAccountObject({ rv: '1', roleArn: 'demo-role' }));
  serviceAccounts.apply('MODIFIED', serviceAccountObject({ rv: '2', roleArn: 'demo-role' }));
  t.is(recorded.length, 1, 'an unrelated update does not report it again');
  t.like(recorded[0], { serviceAccount: { namespace: 'demo', name: 'app', uid: 'sa-app' }, type: 'Warning', reason: INVALID_BINDING_REASON });
  t.regex(recorded[0]!.message, /not a full IAM role ARN/);
  serviceAccounts.apply('MODIFIED', serviceAccountObject({ rv: '3', roleArn: 'arn:aws:iam::1:role/x' }));
  t.is(recorded.length, 2, 'a different problem is reported');
  serviceAccounts.apply('MODIFIED', serviceAccountObject({ rv: '4', roleArn: ROLE_ARN }));
  t.is(recorded.length, 2);
  t.is(lines.filter((l) => l.includes('invalid role binding')).length, 2);
});

test('a hostNetwork pod whose ServiceAccount has a role is warned, whichever is seen first', (t) => {
  const first = setup();
  first.serviceAccounts.apply('ADDED', serviceAccountObject({ rv: '1', roleArn: ROLE_ARN }));
  first.pods.apply('ADDED', podObject({ uid: 'h', ip: '192.168.0.5', hostNetwork: true }));
  first.pods.apply('MODIFIED', podObject({ uid: 'h', ip: '192.168.0.5', hostNetwork: true }));
  t.is(first.recorded.length, 1);
  t.like(first.recorded[0], { pod: { uid: 'h' }, type: 'Warning', reason: HOST_NETWORK_REASON });
  t.true(first.recorded[0]!.message.includes(ROLE_ARN));

  const second = setup();
  second.pods.apply('ADDED', podObject({ uid: 'h', ip: '192.168.0.5', hostNetwork: true }));
  second.serviceAccounts.apply('ADDED', serviceAccountObject({ rv: '1' }));
  t.is(second.recorded.length, 0, 'no role, nothing to miss');
  second.serviceAccounts.apply('MODIFIED', serviceAccountObject({ rv: '2', roleArn: ROLE_ARN }));
  t.is(second.recorded.length, 1);
  second.pods.apply('DELETED', podObject({ uid: 'h', ip: '192.168.0.5', hostNetwork: true }));
  second.serviceAccounts.apply('MODIFIED', serviceAccountObject({ rv: '3', roleArn: 'arn:aws:iam::123456789012:role/other' }));
  t.is(second.recorded.length, 1, 'a deleted pod is forgotten');
  t.true(second.lines.some((l) => l.includes('hostNetwork pod with a role')));
});

test('ordinary pods and ServiceAccounts without a role produce no warning', (t) => {
  const { recorded, pods, serviceAccounts } = setup();
  serviceAccounts.apply('ADDED', serviceAccountObject({ rv: '1' }));
  pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.0.1' }));
  pods.apply('ADDED', podObject({ uid: 'h', ip: '192.168.0.5', hostNetwork: true }));
  t.deepEqual(recorded, []);
});
