import test from 'ava';

import { createDesiredState } from '../src/desired-state.js';

const BASE = { family: 'IPv4', service: 'ns/svc:metadata', metadataAddress: '169.254.169.254', metadataPort: 80 } as const;

test('backends and excluded sources are deduplicated and sorted numerically', (t) => {
  const state = createDesiredState({
    ...BASE,
    backends: [
      { ip: '10.0.0.10', port: 8181 },
      { ip: '10.0.0.9', port: 8182 },
      { ip: '10.0.0.9', port: 8181 },
      { ip: '10.0.0.10', port: 8181 },
    ],
    excludedSources: ['192.168.0.1', '10.0.0.10', '192.168.0.1'],
  });
  t.deepEqual(state.backends, [
    { ip: '10.0.0.9', port: 8181 },
    { ip: '10.0.0.9', port: 8182 },
    { ip: '10.0.0.10', port: 8181 },
  ]);
  t.deepEqual(state.excludedSources, ['10.0.0.10', '192.168.0.1']);
});

test('addresses of the wrong family and ports out of range are refused', (t) => {
  t.throws(() => createDesiredState({ ...BASE, metadataAddress: 'fd00:ec2::254', backends: [] }), { message: /not an IPv4/ });
  t.throws(() => createDesiredState({ ...BASE, backends: [{ ip: 'fd00::1', port: 80 }] }), { message: /backend address/ });
  t.throws(() => createDesiredState({ ...BASE, backends: [{ ip: '10.0.0.1', port: 0 }] }), { message: /out of range/ });
  t.throws(() => createDesiredState({ ...BASE, metadataPort: 65536, backends: [] }), { message: /out of range/ });
  t.throws(() => createDesiredState({ ...BASE, backends: [], excludedSources: ['pod-a'] }), { message: /excluded source/ });
});

test('IPv6 addresses sort by value, not by text', (t) => {
  const state = createDesiredState({
    ...BASE,
    family: 'IPv6',
    metadataAddress: 'fd00:ec2::254',
    backends: [
      { ip: 'fd00::a', port: 1 },
      { ip: 'fd00::9', port: 1 },
      { ip: 'fd00:0:0:1::', port: 1 },
      { ip: '::ffff:10.0.0.1', port: 1 },
    ],
  });
  t.deepEqual(
    state.backends.map((b) => b.ip),
    ['::ffff:10.0.0.1', 'fd00::9', 'fd00::a', 'fd00:0:0:1::'],
  );
});
