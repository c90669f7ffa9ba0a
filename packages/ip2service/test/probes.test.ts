import test from 'ava';

import { ManualClock } from '@iam4kube/shared';

import { createSyncProbes, type SyncStatus } from '../src/probes.js';

test('ready from the first successful sync on; healthy while the last success is within the bound', async (t) => {
  const clock = new ManualClock();
  const status: { -readonly [K in keyof SyncStatus]: SyncStatus[K] } = { lastSuccessAt: undefined, consecutiveFailures: 0 };
  const probes = createSyncProbes({ clock, startedAt: clock.now(), maxSyncAgeMs: 60_000, status: () => status });

  t.false(probes.ready().ok);
  t.true(probes.health().ok, 'the start counts as the last sync while there has been none');
  await clock.advance(60_001);
  t.false(probes.health().ok, 'never synced for longer than the bound');

  status.lastSuccessAt = clock.now();
  t.true(probes.ready().ok);
  t.true(probes.health().ok);
  status.consecutiveFailures = 3;
  await clock.advance(60_000);
  t.true(probes.health().ok, 'exactly at the bound is still fine');
  await clock.advance(1);
  const health = probes.health();
  t.false(health.ok);
  t.deepEqual(health.detail, { synced: true, syncAgeSeconds: 60.001, consecutiveFailures: 3 });
  t.true(probes.ready().ok, 'the rules are still in place: readiness stays');
});
