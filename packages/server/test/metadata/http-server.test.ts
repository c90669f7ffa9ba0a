import test from 'ava';
import { connect } from 'node:net';
import { Agent, request as httpRequest } from 'node:http';
import { ManualClock } from '@iam4kube/shared';
import { MetadataServer, type ServerLimits } from '../../src/metadata/http-server.js';
import { ROLE, harness } from './harness.js';
import type { Kernel } from '../../src/metadata/kernel.js';

async function start(o: { resolve?: Kernel['resolve']; limits?: Partial<ServerLimits>; clock?: ManualClock } = {}) {
  const h = harness({ byIp: { '127.0.0.1': ROLE }, ...(o.resolve ? { resolve: o.resolve } : {}) });
  const clock = o.clock ?? new ManualClock();
  const server = new MetadataServer({
    host: '127.0.0.1', port: 0, handler: h.callback, clock, logger: h.logger, metrics: h.metrics, drainTimeoutMs: 10_000,
    ...(o.limits ? { limits: o.limits } : {}),
  });
  const address = await server.start();
  return { ...h, server, clock, port: address.port };
}

/** Sends raw bytes on a fresh connection; resolves with everything the server wrote until it closed. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
    socket.write(bytes);
  });
}
const statusOf = (response: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);

test('paths arrive raw on a real socket: dot segments, encoded slashes and backslashes are 404', async (t) => {
  const { port, server } = await start();
  t.teardown(() => server.stop());
  const base = '/latest/meta-data/iam/security-credentials';
  t.is(statusOf(await raw(port, `GET ${base}/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)), 200);
  for (const path of [`${base}/%2e%2e`, `${base}/../security-credentials/`, `/latest/meta-data/./iam/security-credentials/`, `${base}%2F`, `${base}/..%2fdemo-role`, `/latest\\meta-data\\iam\\security-credentials\\`]) {
    t.is(statusOf(await raw(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)), 404, path);
  }
});

test('what the parser refuses gets a clear 4xx and a closed connection, never a crash', async (t) => {
  const { port, server, metric } = await start({ limits: { headersTimeout: 300, requestTimeout: 600, connectionsCheckingInterval: 50 } });
  t.teardown(() => server.stop());
  t.is(statusOf(await raw(port, 'CONNECT 169.254.169.254:80 HTTP/1.1\r\nHost: x\r\n\r\n')), 405, 'CONNECT');
  t.is(statusOf(await raw(port, 'FOO / HTTP/1.1\r\nHost: x\r\n\r\n')), 400, 'unknown method');
  t.is(statusOf(await raw(port, `GET / HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`)), 431, 'headers too large');
  t.is(statusOf(await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n')), 400, 'malformed header');
  t.is(statusOf(await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n')), 400, 'smuggling');
  t.is(statusOf(await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\n')), 408, 'slowloris: headers never finish');
  const upgrade = await raw(port, 'GET /latest/meta-data/iam/security-credentials/ HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\n\r\n');
  t.is(statusOf(upgrade), 200, 'an Upgrade header is ignored');
  // Request targets Node's parser takes but its URL parser refuses (found by the fuzzer): 400, not a 500.
  for (const target of ['http://[::1', 'http://[fe80::1/latest/meta-data/iam/security-credentials/', `http://169.254.169.254${'a'.repeat(300)}`]) {
    for (const method of ['GET', 'PATCH']) t.is(statusOf(await raw(port, `${method} ${target} HTTP/1.1\r\nHost: x\r\n\r\n`)), 400, `${method} ${target}`);
  }
  t.true((await metric('iam4kube_metadata_requests_total', { route: 'malformed', status: '400' })) >= 3);
  t.is(await metric('iam4kube_metadata_requests_total', { route: 'malformed', status: '431' }), 1);
});

function get(port: number, path: string, agent: Agent): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('drain: responses close their connections; stop waits for the request in flight, then closes', async (t) => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const { port, server } = await start({ resolve: async (ip) => { if (ip === '127.0.0.1') await gate; return ROLE; } });
  const agent = new Agent({ keepAlive: true });
  t.teardown(() => agent.destroy());
  const inflight = get(port, '/latest/meta-data/iam/security-credentials/', agent);
  // Before draining, a keep-alive client keeps its connection.
  const before = await get(port, '/latest/meta-data/', agent);
  t.is(before.connection, 'keep-alive');
  server.drain();
  const during = await get(port, '/latest/meta-data/', agent);
  t.is(during.status, 200);
  t.is(during.connection, 'close');
  let stopped = false;
  const stopping = server.stop().then(() => (stopped = true));
  await new Promise((r) => setImmediate(r));
  t.false(stopped, 'stop waits for the request in flight');
  await t.throwsAsync(get(port, '/latest/meta-data/', new Agent()), { code: 'ECONNREFUSED' }, 'no longer accepting');
  release();
  const answered = await inflight;
  t.is(answered.status, 200);
  t.is(answered.body, 'demo-role');
  t.is(answered.connection, 'close');
  await stopping;
  t.true(stopped);
});

test('stop cuts what is still in flight after the drain bound', async (t) => {
  const clock = new ManualClock();
  let arrived: () => void = () => undefined;
  const reached = new Promise<void>((r) => (arrived = r));
  const { port, server } = await start({ clock, resolve: () => { arrived(); return new Promise(() => undefined); } });
  const agent = new Agent();
  t.teardown(() => agent.destroy());
  const stuck = get(port, '/latest/meta-data/iam/security-credentials/', agent).catch((err: NodeJS.ErrnoException) => err.code);
  await reached;
  let stopped = false;
  const stopping = server.stop().then(() => (stopped = true));
  await clock.advance(9_999);
  t.false(stopped);
  await clock.advance(1);
  await stopping;
  t.is(await stuck, 'ECONNRESET');
});

test('a client that hangs up while its request waits releases the wait at once; nothing is logged as an error', async (t) => {
  let arrived: () => void = () => undefined;
  let released: (reason: unknown) => void = () => undefined;
  const reached = new Promise<void>((r) => (arrived = r));
  const gone = new Promise<unknown>((r) => (released = r));
  const { port, server, metric, lines } = await start({
    resolve: (_ip, signal) =>
      new Promise((resolve) => {
        arrived();
        signal.addEventListener('abort', () => {
          released(signal.reason);
          resolve({ kind: 'refused', reason: 'unknown-pod' });
        });
      }),
  });
  t.teardown(() => server.stop());
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write('GET /latest/meta-data/iam/security-credentials/ HTTP/1.1\r\nHost: x\r\n\r\n');
  await reached;
  socket.destroy();
  t.regex(String(await gone), /client went away/);
  await new Promise((r) => setImmediate(r));
  t.is(await metric('iam4kube_metadata_wait_duration_seconds', { kind: 'caller', outcome: 'client-gone', le: '+Inf' }), 1);
  t.false(lines.some((l) => l.includes('"level":"error"')));
});
