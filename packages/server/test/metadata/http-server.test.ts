import test from 'ava';
import { connect } from 'node:net';
import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { ManualClock } from '@iam4kube/shared';
import { MetadataServer, type ServerLimits } from '../../src/metadata/http-server.js';
import { createMetadataListener } from '../../src/metadata/request-listener.js';
import { createTokenSigner } from '../../src/metadata/imds-token.js';
import type { RoleResolution } from '../../src/identity/resolver.js';
import { CREDENTIALS, ROLE, harness } from './harness.js';
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

/** The own properties of an object, strings then symbols, each in the order they were added: its V8 layout. */
const layout = (o: object): string => Reflect.ownKeys(o).map(String).join(',');

interface Layouts {
  readonly request: string;
  readonly response: string;
  /** The socket as the handler gets it, and once the response is written. */
  readonly socketAtStart: string;
  readonly socketAtEnd: string;
}

const CREDS = '/latest/meta-data/iam/security-credentials/demo-role';

// Node's own HTTP code is compiled for the layouts it meets; a second layout of the same kind of object slows every
// later request (shared/src/uniform-http.ts). The fast path and the Koa app must leave the same ones behind.
test('the fast path and the Koa app leave requests, responses and sockets in one layout (uniform-http.ts)', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0, 500));
  const h = harness({ byIp: { '127.0.0.1': ROLE } });
  let answeredFast = 0;
  const listener = createMetadataListener({
    kernel: { resolve: async () => ROLE, credentials: async () => CREDENTIALS, placement: () => undefined },
    instant: {
      role: () => ROLE as RoleResolution,
      // Asked on every answer of the fast path, from its memo too.
      credentials: () => {
        answeredFast++;
        return CREDENTIALS;
      },
      revision: () => 0,
    },
    tokens: createTokenSigner(), clock, logger: h.logger, metrics: h.metrics, waitTimeoutMs: 15_000,
  });
  const seen = new Map<string, Layouts>();
  let current = '';
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const name = current;
    const socketAtStart = layout(req.socket);
    // Read once Node is done with the response (its 'finish' handlers run first).
    res.once('finish', () => setImmediate(() => seen.set(name, { request: layout(req), response: layout(res), socketAtStart, socketAtEnd: layout(req.socket) })));
    listener(req, res);
  };
  const server = new MetadataServer({ host: '127.0.0.1', port: 0, handler, clock, logger: h.logger, metrics: h.metrics, drainTimeoutMs: 1000 });
  const { port } = await server.start();
  t.teardown(() => server.stop());
  const send = (name: string, agent: Agent, method: string, path: string, headers: Record<string, string> = {}) =>
    new Promise<string>((resolve, reject) => {
      current = name;
      const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += String(d)));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });
  const requests = (token: string): Array<[string, string, string, Record<string, string>]> => [
    ['token PUT (Koa)', 'PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': '60' }],
    ['credentials GET (fast path)', 'GET', CREDS, { 'x-aws-ec2-metadata-token': token }],
    ['credentials GET with a query string (Koa)', 'GET', `${CREDS}?x=1`, { 'x-aws-ec2-metadata-token': token }],
    ['not one of our paths (Koa)', 'GET', '/latest/user-data', {}],
  ];
  const shared = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => shared.destroy());
  const token = await send('setup', shared, 'PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': '60' });
  // Each as the first request of its connection, then all on one kept-alive connection (Node adds to a socket after
  // its first response: the two groups differ from each other, never within).
  for (const group of ['first on its connection', 'on a kept-alive connection']) {
    const fast = answeredFast;
    for (const [name, method, path, headers] of requests(token)) {
      const agent = group === 'on a kept-alive connection' ? shared : new Agent({ keepAlive: true });
      await send(`${group}: ${name}`, agent, method, path, headers);
      if (agent !== shared) agent.destroy();
    }
    t.true(answeredFast > fast, 'the fast path answered');
    await new Promise((resolve) => setImmediate(resolve));
    const [[firstName, first], ...rest] = [...seen].filter(([name]) => name.startsWith(group));
    t.is(rest.length, 3);
    // The address is read as the connection arrives, before any handler (which reads it to identify the caller).
    t.true(first!.socketAtStart.split(',').includes('_peername'), `${firstName}: the socket's address was read on connection`);
    for (const [name, layouts] of rest) {
      for (const what of ['request', 'response', 'socketAtStart', 'socketAtEnd'] as const) {
        t.is(layouts[what], first![what], `${name}: its ${what} differs from that of ${firstName}`);
      }
    }
  }
});
