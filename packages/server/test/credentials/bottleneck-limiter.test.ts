import test from 'ava';
import { bottleneckSettings, createBottleneckLimiter } from '../../src/credentials/bottleneck-limiter.js';

test('default settings: a 20-token reservoir refilled by 1 token every 100 ms, on a 100 ms heartbeat', (t) => {
  t.deepEqual(bottleneckSettings({ rate: 10, burst: 20 }), {
    reservoir: 20,
    reservoirIncreaseAmount: 1,
    reservoirIncreaseMaximum: 20,
    reservoirIncreaseInterval: 50,
    heartbeatInterval: 100,
  });
});

test('high rates add several tokens per heartbeat of at least 50 ms; slow rates beat slowly', (t) => {
  t.like(bottleneckSettings({ rate: 100, burst: 200 }), { reservoirIncreaseAmount: 5, heartbeatInterval: 50 });
  t.like(bottleneckSettings({ rate: 0.5, burst: 1 }), { reservoirIncreaseAmount: 1, heartbeatInterval: 2000 });
  // Never more per beat than the bucket holds.
  t.like(bottleneckSettings({ rate: 1000, burst: 1 }), { reservoirIncreaseAmount: 1, heartbeatInterval: 1 });
});

// Real time, so only what load cannot bend is asserted exactly: load only delays, so "never faster than the bucket"
// is a hard lower bound. The upper bound is loose (2x the 2 s expected) but still below what the misconfiguration this
// guards against gives (a 250 ms heartbeat: 4 tokens/s, 5 s here) and what a bucket without the burst gives (4 s).
test('bottleneck really gives rate 10/s with bursts of 20 (real time, ~2 s)', async (t) => {
  const limiter = createBottleneckLimiter({ rate: 10, burst: 20 });
  const t0 = Date.now();
  const starts: number[] = [];
  await Promise.all(
    Array.from({ length: 40 }, () =>
      limiter.schedule(async () => {
        starts.push(Date.now() - t0);
      }, 'first'),
    ),
  );
  await limiter.stop();
  starts.sort((a, b) => a - b);
  // Call i past the burst needs i - 19 refills, one per 100 ms heartbeat (90 ms with slack for timer granularity),
  // the first heartbeat falling at most 100 ms after the limiter was made.
  for (let i = 20; i < 40; i++) t.true(starts[i]! >= 90 * (i - 19) - 100, `call ${i} at ${starts[i]} ms: ${starts.join(',')}`);
  t.true(starts[39]! < 3900, `40 calls took ${starts[39]} ms (2,000 expected): ${starts.join(',')}`);
});
