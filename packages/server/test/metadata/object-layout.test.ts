import test from 'ava';
import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { ManualClock } from '@iam4kube/shared';
import { MetadataServer } from '../../src/metadata/http-server.js';
import { createMetadataListener } from '../../src/metadata/request-listener.js';
import { createTokenSigner } from '../../src/metadata/imds-token.js';
import type { RoleResolution } from '../../src/identity/resolver.js';
import { CREDENTIALS, ROLE, harness } from './harness.js';

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
