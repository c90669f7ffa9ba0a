import test from 'ava';
import { Counter } from 'prom-client';
import { AuxServer } from '../src/aux-server.js';
import { createMetricsRegistry } from '../src/metrics.js';

async function start(ready: () => boolean) {
  const registry = createMetricsRegistry({ processMetrics: false });
  new Counter({ name: 'iam4kube_test_things_total', help: 'things', registers: [registry] }).inc(3);
  const aux = new AuxServer({ host: '127.0.0.1', port: 0, registry, probes: { health: () => ({ ok: true }), ready: () => ({ ok: ready(), detail: { caches: 'x' } }) } });
  const address = await aux.start();
  return { aux, url: `http://127.0.0.1:${address.port}` };
}

test('health, readiness (503 until ready, with detail) and metrics', async (t) => {
  let ready = false;
  const { aux, url } = await start(() => ready);
  t.teardown(() => aux.stop());
  t.is((await fetch(`${url}/healthz`)).status, 200);
  const notReady = await fetch(`${url}/readyz`);
  t.is(notReady.status, 503);
  t.deepEqual(await notReady.json(), { status: 'not ok', caches: 'x' });
  ready = true;
  t.is((await fetch(`${url}/readyz`)).status, 200);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  t.regex(metrics, /iam4kube_test_things_total 3/);
});

test('other paths are 404 and other methods 405', async (t) => {
  const { aux, url } = await start(() => true);
  t.teardown(() => aux.stop());
  t.is((await fetch(`${url}/latest/meta-data/`)).status, 404);
  const post = await fetch(`${url}/readyz`, { method: 'POST' });
  t.is(post.status, 405);
  t.is(post.headers.get('allow'), 'GET, HEAD');
});
