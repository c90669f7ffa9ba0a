import test from 'ava';
import { Histogram, Registry } from 'prom-client';
import { BucketHistogram } from '../src/bucket-histogram.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5, 15];

function pair() {
  const ours = new Registry();
  const theirs = new Registry();
  const fast = new BucketHistogram({ name: 'x_seconds', help: 'Latency "quoted" \\ help.', labelNames: ['route', 'code'] as const, buckets: BUCKETS, registers: [ours] });
  const reference = new Histogram({ name: 'x_seconds', help: 'Latency "quoted" \\ help.', labelNames: ['route', 'code'] as const, buckets: BUCKETS, registers: [theirs] });
  return { ours, theirs, fast, reference };
}

test('exported exactly as prom-client exports the same observations (text and JSON)', async (t) => {
  const { ours, theirs, fast, reference } = pair();
  const values = [0, 0.0005, 0.00051, 0.001, 0.003, 0.7, 1, 5, 15, 15.0001, 100, 0.0001, 2.5];
  const series = [fast.series('credentials', '200'), fast.series('token', '200'), fast.series('credentials', '404')];
  const labels = [{ route: 'credentials', code: '200' }, { route: 'token', code: '200' }, { route: 'credentials', code: '404' }];
  values.forEach((v, i) => {
    series[i % 3]!.observe(v);
    reference.observe(labels[i % 3]!, v);
  });
  t.is(await ours.metrics(), await theirs.metrics());
  t.deepEqual(await ours.getMetricsAsJSON(), await theirs.getMetricsAsJSON());
});

test('a series taken twice is the same series; reset zeroes every series', async (t) => {
  const { ours, theirs, fast, reference } = pair();
  fast.series('a', '1').observe(0.2);
  fast.series('a', '1').observe(0.3);
  reference.observe({ route: 'a', code: '1' }, 0.2);
  reference.observe({ route: 'a', code: '1' }, 0.3);
  t.is(await ours.metrics(), await theirs.metrics());
  fast.reset();
  t.regex(await ours.metrics(), /^x_seconds_count\{route="a",code="1"\} 0$/m);
});

test('wrong label count and unsorted buckets are refused; non-finite values are not counted', async (t) => {
  const { fast, ours } = pair();
  t.throws(() => fast.series('only-one'), { message: /expected 2 label values/ });
  t.throws(() => new BucketHistogram({ name: 'y', help: 'y', labelNames: [], buckets: [1, 0.5], registers: [] }), { message: /ascending/ });
  fast.series('a', 'b').observe(Number.NaN);
  t.regex(await ours.metrics(), /^x_seconds_count\{route="a",code="b"\} 0$/m);
});
