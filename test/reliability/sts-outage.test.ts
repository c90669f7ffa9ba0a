import test from 'ava';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { ManualClock } from '../../packages/shared/src/index.js';
import { startKubeApiEmulator, startStsEmulator, type KubeApiEmulator, type StsEmulator } from '../../packages/testkit/src/index.js';
import { parseServerArgs } from '../../packages/server/src/config.js';
import { startServer, type RunningServer } from '../../packages/server/src/app.js';
import { createStsAssumer } from '../../packages/server/src/credentials/sts-assumer.js';
import { createTokenBucketLimiter } from '../../packages/server/src/credentials/token-bucket-limiter.js';
import type { Assumer } from '../../packages/server/src/credentials/credentials.js';
import { ACCOUNT, LONG, ROLE_ANNOTATION, roleArn } from './support/stack.js';
import { httpGet } from './support/http-get.js';

/**
 * STS outages, hours of them, in seconds: the real server in this process on a ManualClock, talking over HTTP with
 * the real SDK to the STS emulator. The emulator stamps expiry on the wall clock; the adapter below moves it onto the
 * test's clock (the only seam), so credentials live one virtual hour. Pods ask for their credentials every virtual
 * minute throughout.
 *
 *  1. An outage longer than the refresh window (from before the first refresh is due until after it would have
 *     been retried many times): 0 failures, every answer still valid for more than 5 minutes, new credentials soon
 *     after STS is back.
 *  2. An outage past the credentials' expiry: 200 while they are valid, then 503 (never expired credentials), then
 *     recovery.
 */

const MINUTE = 60_000;
const STEP = 30_000; // below --sts-timeout, so a call never times out inside one step
const PODS = LONG ? 12 : 3;
const CYCLES = LONG ? 4 : 1;

interface World {
  clock: ManualClock;
  kube: KubeApiEmulator;
  sts: StsEmulator;
  server: RunningServer;
  inflight: number;
  calls: number;
}

interface Figures {
  sent: number;
  ok: number;
  failed: number;
  /** 200 with credentials that expire within 5 minutes (or have expired): never allowed. */
  wrong: number;
  /** 503 once the credentials were past use: expected during phase 2. */
  unavailableAfterExpiry: number;
  stsCallsDuringOutage: number;
}

function timeShifted(real: Assumer, w: Pick<World, 'clock' | 'inflight' | 'calls'>): Assumer {
  return {
    async assumeRole(request, signal) {
      w.inflight++;
      w.calls++;
      try {
        const c = await real.assumeRole(request, signal);
        return { ...c, expiration: w.clock.now() + (c.expiration - Date.now()), issuedAt: w.clock.now() };
      } finally {
        w.inflight--;
      }
    },
  };
}

/** Moves virtual time in steps, letting every STS call a step started finish (over real HTTP) before the next. */
async function advance(w: World, ms: number): Promise<void> {
  for (let done = 0; done < ms; done += STEP) {
    await w.clock.advance(Math.min(STEP, ms - done));
    const deadline = Date.now() + 10_000;
    while (w.inflight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function ask(w: World, pod: number): Promise<{ status: number; accessKeyId?: string; expiration?: number }> {
  const answer = httpGet(`http://127.0.0.1:${w.server.metadataAddress.port}/latest/meta-data/iam/security-credentials/role-${pod}`, { localAddress: `127.4.0.${pod + 1}` });
  // A request that waits (credentials in flight) waits on the server's clock: keep it moving while it does.
  let settled = false;
  void answer.then(() => (settled = true));
  while (!settled) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (!settled) await w.clock.advance(1000);
  }
  const a = await answer;
  if (a.status !== 200) return { status: a.status };
  const doc = JSON.parse(a.body) as { AccessKeyId: string; Expiration: string };
  return { status: 200, accessKeyId: doc.AccessKeyId, expiration: Date.parse(doc.Expiration) };
}

async function start(): Promise<World> {
  const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
  const kube = await startKubeApiEmulator({ bookmarkIntervalMs: 0 });
  kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'outage' } });
  for (let p = 0; p < PODS; p++) {
    kube.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: `sa-${p}`, namespace: 'outage', annotations: { [ROLE_ANNOTATION]: roleArn(`role-${p}`) } } });
    kube.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `pod-${p}`, namespace: 'outage' }, spec: { serviceAccountName: `sa-${p}`, nodeName: 'node-1', containers: [{ name: 'main', image: 'app:1' }] } });
    kube.patchStatus('pods', 'outage', `pod-${p}`, { phase: 'Running', podIP: `127.4.0.${p + 1}`, podIPs: [{ ip: `127.4.0.${p + 1}` }] });
  }
  const base = { accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64') };
  const sts = await startStsEmulator({ accountId: ACCOUNT, baseCredentials: [{ ...base, arn: `arn:aws:iam::${ACCOUNT}:user/iam4kube-server` }] });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(kube.kubeconfig());
  const parsed = parseServerArgs(['--metadata-host=127.0.0.1', '--metadata-port=0', '--aux-host=127.0.0.1', '--aux-port=0', '--sts-timeout=60s', '--shutdown-delay=0s', '--log-level=warn'], {});
  if (parsed.kind !== 'run') throw new Error('unexpected --help');
  const w = { clock, kube, sts, inflight: 0, calls: 0 } as World;
  const real = createStsAssumer({ region: 'us-east-1', endpoint: sts.endpoint, now: () => clock.now(), credentials: base });
  w.server = await startServer(parsed.values, {
    clock,
    kubeConfig,
    assumer: timeShifted(real, w),
    limiter: createTokenBucketLimiter({ rate: parsed.values.stsRate, burst: parsed.values.stsBurst, clock }),
    logStream: new Writable({ write: (_c, _e, done) => done() }),
  });
  const deadline = Date.now() + 20_000;
  while (!w.server.ready()) {
    if (Date.now() > deadline) throw new Error('server not ready');
    await advance(w, 100);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return w;
}

async function stop(w: World): Promise<void> {
  let stopped = false;
  const stopping = w.server.stop().finally(() => (stopped = true));
  while (!stopped) {
    await w.clock.advance(1000);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await stopping;
  await w.sts.close();
  await w.kube.close();
}

/** Every pod asks once; judges the answers. Returns the access key IDs seen (and their expiry, in `expirations`). */
async function round(w: World, f: Figures, phase: { expiryOf?: number }, expirations: number[] = []): Promise<Array<string | undefined>> {
  const now = w.clock.now();
  const keys: Array<string | undefined> = [];
  for (let p = 0; p < PODS; p++) {
    const a = await ask(w, p);
    f.sent++;
    keys.push(a.accessKeyId);
    if (a.expiration !== undefined) expirations.push(a.expiration);
    if (a.status === 200) {
      if (a.expiration! - now < 5 * MINUTE) f.wrong++;
      else f.ok++;
    } else if (a.status === 503 && phase.expiryOf !== undefined && now >= phase.expiryOf - 5 * MINUTE) f.unavailableAfterExpiry++;
    else f.failed++;
  }
  return keys;
}

test.serial('STS outages: served from memory while valid, never expired, recovery afterwards', async (t) => {
  t.timeout(LONG ? 900_000 : 180_000);
  const w = await start();
  const f: Figures = { sent: 0, ok: 0, failed: 0, wrong: 0, unavailableAfterExpiry: 0, stsCallsDuringOutage: 0 };
  try {
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      // Phase 1: outage from 20 to 52 minutes after the last fetch: the refresh window (24-30 min) and its retries fall inside.
      const first = await round(w, f, {});
      const issuedAt = w.clock.now();
      for (let m = 0; m < 20; m++) {
        await advance(w, MINUTE);
        await round(w, f, {});
      }
      w.sts.faults.outage('reset');
      const callsBefore = w.calls;
      for (let m = 20; m < 52; m++) {
        await advance(w, MINUTE);
        const keys = await round(w, f, {});
        t.deepEqual(keys, first, `minute ${m}: the credentials from before the outage`);
      }
      f.stsCallsDuringOutage += w.calls - callsBefore;
      w.sts.faults.outage(false);
      let recoveredAfter = -1;
      for (let m = 52; m < 56; m++) {
        await advance(w, MINUTE);
        const keys = await round(w, f, {});
        if (recoveredAfter < 0 && keys.every((k, i) => k !== undefined && k !== first[i])) recoveredAfter = m - 52 + 1;
      }
      t.log(`cycle ${cycle + 1}, phase 1: outage 32 min (minutes 20-52 of credentials issued at virtual ${new Date(issuedAt).toISOString()}); new credentials ${recoveredAfter} min after STS came back`);
      t.true(recoveredAfter > 0 && recoveredAfter <= 3, 'new credentials within 3 minutes of recovery');

      // Phase 2: an outage from now until 10 minutes past the expiry of the credentials being served.
      await advance(w, 30 * MINUTE); // a normal refresh happens here
      const expirations: number[] = [];
      const fresh = await round(w, f, {}, expirations);
      const expiryOf = Math.min(...expirations);
      w.sts.faults.outage('503');
      const callsBefore2 = w.calls;
      const outageStart = w.clock.now();
      while (w.clock.now() < expiryOf + 10 * MINUTE) {
        await advance(w, MINUTE);
        await round(w, f, { expiryOf });
      }
      const outageMinutes = Math.round((w.clock.now() - outageStart) / MINUTE);
      f.stsCallsDuringOutage += w.calls - callsBefore2;
      w.sts.faults.outage(false);
      let back = -1;
      for (let m = 0; m < 4 && back < 0; m++) {
        await advance(w, MINUTE);
        const keys = await round(w, f, { expiryOf });
        if (keys.every((k, i) => k !== undefined && k !== fresh[i])) back = m + 1;
      }
      t.log(`cycle ${cycle + 1}, phase 2: outage ${outageMinutes} min, until 10 min past the credentials' expiry; answers again ${back} min after STS came back`);
      t.true(back > 0, 'recovered after the long outage');
    }
    t.log(`requests sent ${f.sent}, ok ${f.ok}, failed ${f.failed}, wrong ${f.wrong}, crashes 0; 503 after the credentials' usable life ${f.unavailableAfterExpiry}; STS calls during the outages ${f.stsCallsDuringOutage}`);
    t.is(f.failed, 0, 'no failure while credentials were valid');
    t.is(f.wrong, 0, 'never credentials with less than 5 minutes left');
    t.true(f.unavailableAfterExpiry > 0, 'phase 2 did outlast the credentials');
  } finally {
    await stop(w);
  }
});
