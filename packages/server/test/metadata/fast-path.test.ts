import test from 'ava';
import { createServer, request, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { inject } from 'light-my-request';
import { ManualClock, createLogger, createMetricsRegistry } from '@iam4kube/shared';
import { createMetadataApp } from '../../src/metadata/app.js';
import { createFastPath, type InstantAnswers } from '../../src/metadata/fast-path.js';
import { createMetadataListener } from '../../src/metadata/request-listener.js';
import { createRenderedAnswers } from '../../src/metadata/rendered-answers.js';
import { credentialsDocument } from '../../src/metadata/credentials-document.js';
import { createTokenSigner, type TokenSigner } from '../../src/metadata/imds-token.js';
import { createMetadataMetrics } from '../../src/metadata/metadata-metrics.js';
import type { Kernel } from '../../src/metadata/kernel.js';
import type { PodEvent } from '../../src/metadata/pod-events.js';
import type { ImdsV1Policy } from '../../src/metadata/request-guard.js';
import type { Resolution, RoleResolution } from '../../src/identity/resolver.js';
import { CREDENTIALS, POD, ROLE, podRecord } from './harness.js';

const OTHER_POD = podRecord({ name: 'other', ip: '10.0.0.6', serviceAccountName: 'none' });
const BY_IP: Record<string, Resolution> = { '10.0.0.5': ROLE, '10.0.0.6': { kind: 'no-role', pod: OTHER_POD } };

interface Side {
  readonly listener: RequestListener;
  readonly metrics: () => Promise<string>;
  readonly events: PodEvent[];
  readonly lines: string[];
  /** Requests the fast path answered itself (the fast side only). */
  taken: number;
}

/** One side: the Koa app alone (`fast` false), or the fast path in front of it, over the same state. */
function side(o: { fast: boolean; tokens: TokenSigner; clock: ManualClock; imdsV1: ImdsV1Policy; instant?: InstantAnswers }): Side {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', stream: new Writable({ write: (c, _e, cb) => { lines.push(String(c)); cb(); } }) });
  const registry = createMetricsRegistry({ processMetrics: false });
  const metrics = createMetadataMetrics(registry);
  const events: PodEvent[] = [];
  const kernel: Kernel = {
    resolve: async (ip) => BY_IP[ip] ?? { kind: 'refused', reason: 'unknown-pod' },
    credentials: async () => CREDENTIALS,
    placement: () => undefined,
  };
  const common = { kernel, tokens: o.tokens, clock: o.clock, logger, metrics, waitTimeoutMs: 15_000, imdsV1: o.imdsV1, events: { record: (e: PodEvent) => events.push(e) } };
  const rendered = createRenderedAnswers();
  const slow = createMetadataApp({ ...common, rendered }).callback();
  const instant: InstantAnswers = o.instant ?? {
    role: (ip) => (BY_IP[ip]?.kind === 'role' ? (BY_IP[ip] as RoleResolution) : undefined),
    credentials: () => CREDENTIALS,
    revision: () => 0,
  };
  const fast = createFastPath({ ...common, instant, rendered });
  const result: Side = {
    listener: o.fast
      ? (req, res) => {
          if (fast(req, res)) result.taken++;
          else void slow(req, res);
        }
      : slow,
    metrics: () => registry.metrics(),
    events,
    lines,
    taken: 0,
  };
  return result;
}

interface Req {
  readonly method?: string;
  readonly url: string;
  readonly ip?: string;
  readonly headers?: Record<string, string>;
  readonly payload?: string;
}

const send = (listener: RequestListener, r: Req) =>
  inject(listener, {
    method: (r.method ?? 'GET') as 'GET',
    url: r.url,
    remoteAddress: r.ip ?? POD.podIPs[0]!,
    headers: r.headers ?? {},
    ...(r.payload === undefined ? {} : { payload: r.payload }),
  });

const CREDS = '/latest/meta-data/iam/security-credentials/demo-role';

/** The table: what an SDK sends, and what it must not get past the rules. `fast`: the fast path answers it. */
function table(token: string, foreignToken: string): Array<[name: string, req: Req, fast: boolean]> {
  const v2 = { 'x-aws-ec2-metadata-token': token };
  return [
    ['IMDSv1 GET', { url: CREDS }, true],
    ['IMDSv2 GET', { url: CREDS, headers: v2 }, true],
    ['trailing slash', { url: `${CREDS}/` }, true],
    ['dated version and doubled slashes', { url: '/2021-07-15//meta-data/iam/security-credentials/demo-role', headers: v2 }, true],
    ['HEAD', { method: 'HEAD', url: CREDS, headers: v2 }, true],
    ['extended document', { url: '/latest/meta-data/iam/security-credentials-extended/demo-role', headers: v2 }, true],
    ['role listing', { url: '/latest/meta-data/iam/security-credentials/', headers: v2 }, true],
    ['role listing, no slash', { url: '/latest/meta-data/iam/security-credentials' }, true],
    ['extended listing', { url: '/latest/meta-data/iam/security-credentials-extended/' }, true],
    ['HEAD of the listing', { method: 'HEAD', url: '/latest/meta-data/iam/security-credentials/' }, true],
    ['X-Forwarded-For without a token (ignored)', { url: CREDS, headers: { 'x-forwarded-for': '10.9.9.9' } }, true],
    ['a query string', { url: `${CREDS}?x=1`, headers: v2 }, false],
    ['X-Forwarded-For with a token', { url: CREDS, headers: { ...v2, 'x-forwarded-for': '10.9.9.9' } }, false],
    ['a bad token', { url: CREDS, headers: { 'x-aws-ec2-metadata-token': `${token.slice(0, -2)}xx` } }, false],
    ['garbage token', { url: CREDS, headers: { 'x-aws-ec2-metadata-token': 'garbage' } }, false],
    ['a token of another IP', { url: CREDS, ip: '10.0.0.6', headers: v2 }, false],
    ['a foreign token', { url: CREDS, headers: { 'x-aws-ec2-metadata-token': foreignToken } }, false],
    ['another role name', { url: '/latest/meta-data/iam/security-credentials/other-role', headers: v2 }, false],
    ['a body', { url: CREDS, headers: { ...v2, 'content-type': 'text/plain' }, payload: 'hello' }, false],
    ['an empty body (Content-Length: 0)', { url: CREDS, headers: { ...v2, 'content-length': '0' } }, true],
    ['PUT on the credentials', { method: 'PUT', url: CREDS, headers: v2 }, false],
    ['POST on the listing', { method: 'POST', url: '/latest/meta-data/iam/security-credentials/' }, false],
    ['a pod without a role', { url: CREDS, ip: '10.0.0.6' }, false],
    ['an unknown pod', { url: CREDS, ip: '10.0.0.99' }, false],
    ['not one of our paths', { url: '/latest/user-data', headers: v2 }, false],
    ['the token PUT', { method: 'PUT', url: '/latest/api/token', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } }, false],
    ['another listing', { url: '/latest/meta-data/', headers: v2 }, false],
  ];
}

const comparable = (headers: Record<string, unknown>) => Object.fromEntries(Object.entries(headers).filter(([k]) => k !== 'date'));

for (const imdsV1 of ['allowed', 'disabled'] as const) {
  test(`with IMDSv1 ${imdsV1}, the fast path answers exactly as the Koa app, also from its memo: status, headers, body, metrics, events`, async (t) => {
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0, 500));
    const tokens = createTokenSigner();
    const slow = side({ fast: false, tokens, clock, imdsV1 });
    const fast = side({ fast: true, tokens, clock, imdsV1 });
    const token = tokens.issue(POD.podIPs[0]!, 60, clock.now());
    const foreign = createTokenSigner({ key: randomBytes(32) }).issue(POD.podIPs[0]!, 60, clock.now());
    let expectedTaken = 0;
    // Twice: the second time, what the fast path answered comes from its memo (answer-memo.ts), with the same effects.
    for (const [name, req, takesFast] of [...table(token, foreign), ...table(token, foreign)]) {
      const before = fast.taken;
      const [a, b] = [await send(slow.listener, req), await send(fast.listener, req)];
      t.is(b.statusCode, a.statusCode, name);
      t.deepEqual(comparable(b.headers), comparable(a.headers), name);
      t.is(b.body, a.body, name);
      // Without a token and IMDSv1 disabled, every request is the Koa app's (401).
      const expected = takesFast && (imdsV1 === 'allowed' || req.headers?.['x-aws-ec2-metadata-token'] !== undefined);
      t.is(fast.taken - before, expected ? 1 : 0, `${name}: ${expected ? 'answered by the fast path' : 'left to the Koa app'}`);
      if (expected) {
        expectedTaken++;
        t.is(a.statusCode, 200, name);
      }
    }
    t.true(expectedTaken >= (imdsV1 === 'allowed' ? 20 : 12));
    t.is(await fast.metrics(), await slow.metrics(), 'the same metrics, to the last counter');
    t.deepEqual(fast.events, slow.events, 'the same Events');
    t.true(fast.events.some((e) => e.reason === 'RoleFound'));
  });
}

test('an expired token is 401 on both sides, also after the token was accepted (and remembered) before', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0, 500));
  const tokens = createTokenSigner({ skewToleranceMs: 5000 });
  const slow = side({ fast: false, tokens, clock, imdsV1: 'allowed' });
  const fast = side({ fast: true, tokens, clock, imdsV1: 'allowed' });
  const token = tokens.issue(POD.podIPs[0]!, 10, clock.now());
  const req = { url: CREDS, headers: { 'x-aws-ec2-metadata-token': token } };
  t.is((await send(fast.listener, req)).statusCode, 200);
  await clock.advance(10_000 + 4000);
  t.is((await send(fast.listener, req)).statusCode, 200, 'within the skew tolerance');
  await clock.advance(1500); // issued at :00.5 for 10 s: expires at :11 (rounded up), plus 5 s of skew
  t.is((await send(slow.listener, req)).statusCode, 401);
  t.is((await send(fast.listener, req)).statusCode, 401);
});

test('without credentials in memory, or without a role known at once, the request goes to the Koa app (which waits)', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0, 500));
  const tokens = createTokenSigner();
  for (const instant of [
    { role: () => ROLE as RoleResolution, credentials: () => undefined, revision: () => 0 },
    { role: () => undefined, credentials: () => CREDENTIALS, revision: () => 0 },
  ] satisfies InstantAnswers[]) {
    const fast = side({ fast: true, tokens, clock, imdsV1: 'allowed', instant });
    const res = await send(fast.listener, { url: CREDS });
    t.is(res.statusCode, 200, 'answered by the Koa app, through the kernel');
    t.is(fast.taken, 0);
  }
});

test('the debug line of a fast answer has the fields of the Koa app\'s, and none at info', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0, 500));
  for (const level of ['info', 'debug'] as const) {
    const lines: string[] = [];
    const logger = createLogger({ level, stream: new Writable({ write: (c, _e, cb) => { lines.push(String(c)); cb(); } }) });
    const listener = createMetadataListener({
      kernel: { resolve: async () => ROLE, credentials: async () => CREDENTIALS, placement: () => undefined },
      instant: { role: () => ROLE as RoleResolution, credentials: () => CREDENTIALS, revision: () => 0 },
      tokens: createTokenSigner(), clock, logger, metrics: createMetadataMetrics(createMetricsRegistry({ processMetrics: false })), waitTimeoutMs: 1000,
    });
    t.is((await send(listener, { url: CREDS })).statusCode, 200);
    if (level === 'info') {
      t.deepEqual(lines, []);
      continue;
    }
    const line = JSON.parse(lines.find((l) => l.includes('"request"'))!) as Record<string, unknown>;
    t.like(line, { method: 'GET', path: CREDS, ip: '10.0.0.5', route: 'credentials', pod: 'demo/app', roleArn: ROLE.kind === 'role' ? ROLE.binding.roleArn : '', status: 200 });
    t.false(JSON.stringify(line).includes(CREDENTIALS.secretAccessKey), 'no secret in the log');
  }
});

test('on a real socket, an ASCII answer (one chunk with the head) and one outside ASCII go out with their exact bytes', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0, 500));
  for (const roleName of ['demo-role', 'demo-rôle']) {
    const role: RoleResolution = { ...(ROLE as RoleResolution), binding: { ...(ROLE as RoleResolution).binding, roleName } };
    const fast = side({ fast: true, tokens: createTokenSigner(), clock, imdsV1: 'allowed', instant: { role: () => role, credentials: () => CREDENTIALS, revision: () => 0 } });
    const server = createServer(fast.listener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      // The listing (the role name: outside ASCII for the second role) and, for the first, its credentials document.
      const asked: Array<[string, Buffer]> = [['/latest/meta-data/iam/security-credentials/', Buffer.from(roleName, 'utf8')]];
      if (roleName === 'demo-role') asked.push([CREDS, Buffer.from(credentialsDocument(CREDENTIALS), 'utf8')]);
      for (const [path, expected] of asked) {
        const { headers, body } = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
          request({ host: '127.0.0.1', port, path }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          }).on('error', reject).end();
        });
        t.deepEqual(body, expected, `${roleName} ${path}`);
        t.is(headers['content-length'], String(expected.length), `${roleName} ${path}`);
      }
      t.is(fast.taken, asked.length, 'every one answered by the fast path');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }
});
