import test from 'ava';
import { connect } from 'node:net';
import { startStack, type Stack } from '../../packages/testkit/src/index.js';
import { LONG } from './support/stack.js';
import { httpGet } from './support/http-get.js';
import { rssOf } from './support/process-memory.js';
import { randomCase, seeded, statusCodes, whitelisted, type FuzzRequest } from './support/fuzz-requests.js';

/**
 * The metadata port under random and malformed requests (garbage bytes, bad request lines, odd methods and paths,
 * hostile headers, pipelining, an HTTP/2 preface) from the demo pods' addresses and an unknown one, plus a slowloris
 * client, for a bounded time, while a well-behaved pod keeps asking for its credentials. The real server binary:
 * no crash, no 5xx, no 200 outside the documented paths, memory bounded, slow connections cut by the server.
 */

const RUN_MS = LONG ? 120_000 : 15_000;
const WORKERS = 12;
const SLOW_CONNECTIONS = 100;
const SEED = Number(process.env.IAM4KUBE_FUZZ_SEED ?? Date.now() % 1_000_000);
/** 127.0.0.1 is the demo pod `app` (role demo-role), 127.0.0.2 the pod `plain` (no role), 127.0.0.9 no pod at all. */
const SOURCES = ['127.0.0.1', '127.0.0.1', '127.0.0.2', '127.0.0.9'];
const MiB = 2 ** 20;

interface Figures {
  cases: number;
  requests: number;
  responses: number;
  byStatus: Record<string, number>;
  fiveXx: string[];
  forbidden200: string[];
  canarySent: number;
  canaryFailed: number;
  canaryMaxMs: number;
}

/** Writes one case on a fresh connection and collects what comes back until the server closes (or 3 s pass). */
function exchange(port: number, c: FuzzRequest, localAddress: string): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, 3000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', done);
    socket.on('close', done);
    socket.on('connect', () => socket.end(c.bytes));
  });
}

interface Slowloris {
  opened: number;
  closedByServer: number;
  lifetimesMs: number[];
  /** Connections still open at stop() that had been open longer than `staleAfterMs`. */
  outlived: number;
  stop(staleAfterMs: number): void;
}

/**
 * `count` connections at a time that send their headers one short line per second and never finish them; each one
 * the server cuts is replaced, so the pressure lasts the whole run.
 */
function slowloris(port: number, count: number): Slowloris {
  const s: Slowloris = { opened: 0, closedByServer: 0, lifetimesMs: [], outlived: 0, stop: () => {} };
  const sockets = new Map<ReturnType<typeof connect>, number>();
  let stopping = false;
  const open = (): void => {
    const started = performance.now();
    const socket = connect({ port, host: '127.0.0.1' });
    sockets.set(socket, started);
    s.opened++;
    let line = 0;
    const timer = setInterval(() => socket.write(`X-Slow-${line++}: ${'s'.repeat(10)}\r\n`), 1000);
    socket.on('connect', () => socket.write('GET /latest/meta-data/ HTTP/1.1\r\nHost: 169.254.169.254\r\n'));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      sockets.delete(socket);
      if (stopping) return;
      s.closedByServer++;
      s.lifetimesMs.push(performance.now() - started);
      open();
    });
  };
  for (let i = 0; i < count; i++) open();
  s.stop = (staleAfterMs) => {
    stopping = true;
    const now = performance.now();
    for (const [socket, started] of sockets) {
      if (now - started > staleAfterMs) s.outlived++;
      socket.destroy();
    }
  };
  return s;
}

test('fuzzing the metadata port: no crash, no 5xx, no 200 outside the whitelist, memory bounded', async (t) => {
  t.timeout(RUN_MS + 120_000);
  const stack: Stack = await startStack({ sts: 'emulator', logLevel: 'info', serverArgs: ['--wait-timeout=500ms'] });
  try {
    const port = Number(new URL(stack.metadataUrl).port);
    const pid = stack.server.child.pid!;
    const token = await (await fetch(`${stack.metadataUrl}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' } })).text();
    const random = seeded(SEED);
    const f: Figures = { cases: 0, requests: 0, responses: 0, byStatus: {}, fiveXx: [], forbidden200: [], canarySent: 0, canaryFailed: 0, canaryMaxMs: 0 };

    // Warm up (JIT, pools) before the memory baseline.
    for (let i = 0; i < 200; i++) await exchange(port, randomCase(random, token), '127.0.0.1');
    const rssBefore = rssOf(pid);
    let rssPeak = rssBefore;

    let running = true;
    const slow = slowloris(port, SLOW_CONNECTIONS);
    const worker = async (): Promise<void> => {
      while (running) {
        const c = randomCase(random, token);
        const source = SOURCES[Math.floor(random() * SOURCES.length)]!;
        const response = await exchange(port, c, source);
        f.cases++;
        f.requests += Math.max(1, c.requests.length);
        const statuses = statusCodes(response);
        f.responses += statuses.length;
        statuses.forEach((status, i) => {
          f.byStatus[status] = (f.byStatus[status] ?? 0) + 1;
          const req = c.requests[i];
          const what = `${c.kind} from ${source}: ${req ? `${JSON.stringify(req.method)} ${JSON.stringify(req.target.slice(0, 120))}` : JSON.stringify(c.bytes.subarray(0, 60).toString('latin1'))} → ${status}`;
          if (status >= 500 && f.fiveXx.length < 20) f.fiveXx.push(what);
          if (status === 200 && (!req || !whitelisted(req.method, req.target)) && f.forbidden200.length < 20) f.forbidden200.push(what);
        });
      }
    };
    const canary = async (): Promise<void> => {
      while (running) {
        const a = await httpGet(`${stack.metadataUrl}/latest/meta-data/iam/security-credentials/demo-role`, { localAddress: '127.0.0.1', timeoutMs: 5000 });
        f.canarySent++;
        f.canaryMaxMs = Math.max(f.canaryMaxMs, a.receivedAt - a.sentAt);
        if (a.status !== 200 || a.receivedAt - a.sentAt > 1000) f.canaryFailed++;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, rssOf(pid));
    }, 250);
    const work = Promise.all([...Array.from({ length: WORKERS }, worker), canary()]);
    await new Promise((resolve) => setTimeout(resolve, RUN_MS));
    running = false;
    await work;
    clearInterval(sampler);
    // The server cuts a connection whose headers have not arrived within 10 s (checked every second).
    slow.stop(13_000);
    const rssAfter = rssOf(pid);
    const crashes = stack.server.child.exitCode === null ? 0 : 1;

    t.log(`seed ${SEED} (replay with IAM4KUBE_FUZZ_SEED=${SEED}); ${Math.round(RUN_MS / 1000)} s, ${WORKERS} fuzzing connections at a time`);
    t.log(`cases ${f.cases}, requests sent ${f.requests}, responses ${f.responses} ${JSON.stringify(f.byStatus)}; 5xx ${f.fiveXx.length}, 200 outside the whitelist ${f.forbidden200.length}, crashes ${crashes}`);
    t.log(`well-behaved pod meanwhile: requests sent ${f.canarySent}, failed (not 200 within 1 s) ${f.canaryFailed}, slowest ${Math.round(f.canaryMaxMs)} ms`);
    t.log(`slowloris: ${SLOW_CONNECTIONS} at a time, ${slow.opened} opened, ${slow.closedByServer} cut by the server (after ${Math.round(Math.min(...slow.lifetimesMs) / 1000)}-${Math.round(Math.max(...slow.lifetimesMs) / 1000)} s), ${slow.outlived} open longer than 13 s`);
    t.log(`server RSS: ${(rssBefore / MiB).toFixed(1)} MiB before, peak ${(rssPeak / MiB).toFixed(1)} MiB, ${(rssAfter / MiB).toFixed(1)} MiB after`);
    for (const line of [...f.fiveXx, ...f.forbidden200].slice(0, 10)) t.log(`  ${line}`);
    t.is(crashes, 0);
    t.deepEqual(f.fiveXx, [], 'no 5xx');
    t.deepEqual(f.forbidden200, [], 'no 200 outside the whitelist');
    t.is(f.canaryFailed, 0, 'the pod kept getting its credentials');
    t.true(rssPeak - rssBefore < 100 * MiB, 'memory bounded (less than 100 MiB of growth)');
    t.true(f.byStatus['200']! > 0 && f.byStatus['404']! > 0 && f.byStatus['400']! > 0, 'the run reached the handlers and the parser errors');
    t.true(slow.closedByServer >= SLOW_CONNECTIONS, 'the server cut slowloris connections');
    t.is(slow.outlived, 0, 'no slowloris connection outlived the headers timeout');
  } finally {
    await stack.stop();
  }
});
