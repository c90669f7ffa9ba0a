import test from 'ava';
import { connect } from 'node:net';
import { assertIsolatedNetwork, startStack } from '@iam4kube/testkit';
import { imds, imdsToken, writeTokenKeyFile } from '../support/imds-client.js';

// 10⁴+ random requests (paths, methods, headers, bodies, malformed bytes) on raw sockets against the real server
// binary: never a 5xx, never a 200 outside the whitelist, and the server is still well at the end. The generator is
// seeded, so a failure names the seed and request that reproduce it.
const REQUESTS = 12_000;
const CONCURRENCY = 24;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEGMENTS = [
  'latest', 'latest', '2021-07-15', '2009-04-04', '1.0', 'LATEST', 'meta-data', 'meta-data', 'iam', 'iam', 'security-credentials',
  'security-credentials', 'security-credentials-extended', 'demo-role', 'demo-role', 'other-role', 'api', 'token', 'placement',
  'availability-zone', 'region', 'dynamic', 'instance-identity', 'document', 'user-data', 'info', 'instance-id', '..', '.',
  '%2e%2e', '%2f', '%2F', '%00', '%', 'demo-role%00', '\\', '*', '~', 'a;b', ' ', 'é', '\u0000', '169.254.169.254', '',
];
const METHODS = ['GET', 'GET', 'GET', 'HEAD', 'PUT', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'PROPFIND', 'CONNECT', 'FOO', 'get', 'G ET'];
const WHITELIST_GET = new Set([
  '/latest/meta-data', '/latest/meta-data/iam', '/latest/meta-data/iam/security-credentials', '/latest/meta-data/iam/security-credentials-extended',
  '/latest/meta-data/iam/security-credentials/demo-role', '/latest/meta-data/iam/security-credentials-extended/demo-role',
  '/latest/meta-data/placement', '/latest/meta-data/placement/availability-zone', '/latest/meta-data/placement/region',
  '/latest/dynamic', '/latest/dynamic/instance-identity', '/latest/dynamic/instance-identity/document',
]);

interface Generated {
  readonly bytes: Buffer;
  /** What the oracle needs to know. */
  readonly method: string;
  readonly target: string;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: boolean;
  readonly validToken: string;
}

function generate(rand: () => number, validToken: string): Generated {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const method = pick(METHODS);
  let target: string;
  if (rand() < 0.4) {
    // Near the served paths: a served one in another version form, with slashes doubled here and there.
    const served = pick([...WHITELIST_GET, '/latest/api/token', '/latest/meta-data/iam/security-credentials/other-role']);
    target = served.replace(/^\/latest/, pick(['/latest', '/latest', '/2021-07-15', '/1.0', ''])).replace(/\//g, () => (rand() < 0.05 ? '//' : '/'));
    if (rand() < 0.3) target += '/';
    if (rand() < 0.05) target += pick(SEGMENTS);
  } else if (rand() < 0.1) {
    target = Array.from({ length: Math.floor(rand() * 40) }, () => String.fromCharCode(33 + Math.floor(rand() * 94))).join('');
  } else {
    const parts = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => pick(SEGMENTS));
    target = parts.map((p) => (rand() < 0.08 ? '//' : '/') + p).join('') + (rand() < 0.3 ? '/' : '');
    if (rand() < 0.05) target = `http://169.254.169.254${target}`;
    if (rand() < 0.05) target += `?${pick(SEGMENTS)}=${pick(SEGMENTS)}`;
  }
  const headers = new Map<string, string>([['Host', '169.254.169.254']]);
  if (rand() < 0.3) headers.set('X-aws-ec2-metadata-token-ttl-seconds', pick(['21600', '1', '0', '21601', '-1', 'abc', '60 ', '1e3', '', '99999999999999999999']));
  if (rand() < 0.3) headers.set('X-aws-ec2-metadata-token', pick([validToken, validToken, `${validToken}x`, 'garbage', '', 'x'.repeat(300), validToken.replace(/\.\d+\./, '.1.')]));
  if (rand() < 0.1) headers.set('X-Forwarded-For', pick(['127.0.0.2', '10.0.0.1', 'garbage']));
  if (rand() < 0.05) headers.set(pick(['Upgrade', 'Expect', 'Connection', 'Te', 'Range']), pick(['websocket', '100-continue', 'keep-alive', 'trailers', 'bytes=0-1']));
  for (let i = Math.floor(rand() * 3); i > 0; i--) headers.set(`X-Fuzz-${i}`, Array.from({ length: Math.floor(rand() * 50) }, () => String.fromCharCode(32 + Math.floor(rand() * 95))).join(''));
  if (rand() < 0.02) headers.set('X-Big', 'b'.repeat(17_000));
  let body = '';
  if (rand() < 0.1) {
    body = 'x'.repeat(Math.floor(rand() * 200));
    headers.set('Content-Length', String(body.length));
  } else if (rand() < 0.03) {
    headers.set('Transfer-Encoding', 'chunked');
    body = '5\r\nhello\r\n0\r\n\r\n';
  }
  headers.set('Connection', 'close');
  const head = `${method} ${target} HTTP/1.1\r\n${[...headers].map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  let bytes = Buffer.from(head + body, 'latin1');
  if (rand() < 0.01) bytes = Buffer.from(Array.from({ length: 64 }, () => Math.floor(rand() * 256))); // noise
  return { bytes, method, target, headers: new Map([...headers].map(([k, v]) => [k.toLowerCase(), v])), body: body.length > 0, validToken };
}

/** The whitelist, written independently of the server: a 200 is allowed only for these. */
function whitelisted(g: Generated): boolean {
  // The request target ends at the first space, as the HTTP parser reads the request line.
  let path = g.target.split(' ')[0]!.replace(/^https?:\/\/[^/]*/, '').split(/[?#]/)[0]!;
  if (/%|\\/.test(path) || !path.startsWith('/')) return false;
  path = path.replace(/\/+/g, '/').replace(/^\/\d{4}-\d{2}-\d{2}(?=\/|$)/, '/latest');
  if (path.split('/').some((s) => s === '.' || s === '..')) return false;
  if (path.length > 1) path = path.replace(/\/$/, '');
  if (g.body) return false;
  if (g.method === 'PUT') {
    const ttl = g.headers.get('x-aws-ec2-metadata-token-ttl-seconds')?.trim() ?? '';
    return path === '/latest/api/token' && !g.target.endsWith('/token/') && /^\d+$/.test(ttl) && Number(ttl) >= 1 && Number(ttl) <= 21600 && !g.headers.has('x-forwarded-for');
  }
  if (g.method !== 'GET' && g.method !== 'HEAD') return false;
  const token = g.headers.get('x-aws-ec2-metadata-token');
  if (token && (g.headers.has('x-forwarded-for') || token !== g.validToken)) return false;
  return WHITELIST_GET.has(path);
}

function send(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error('no answer within 20 s')), 20_000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.end(bytes);
  });
}

test(`fuzz: ${REQUESTS} random requests, no 5xx, no 200 outside the whitelist (seed ${SEED})`, async (t) => {
  assertIsolatedNetwork();
  const key = writeTokenKeyFile();
  const stack = await startStack({ sts: 'emulator', serverArgs: [`--token-key-file=${key.path}`] });
  t.teardown(() => stack.stop());
  const validToken = await imdsToken(stack.metadataUrl);
  const port = stack.server.metadataPort;
  const rand = prng(SEED);
  const statuses = new Map<string, number>();
  const problems: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < REQUESTS) {
      const n = next++;
      const g = generate(rand, validToken);
      const answer = await send(port, g.bytes);
      // The last status line: a 100 Continue may come first.
      const status = [...answer.matchAll(/(?:^|\r\n)HTTP\/1\.1 (\d{3}) /g)].at(-1)?.[1] ?? 'none';
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      const what = `#${n} ${JSON.stringify(g.bytes.toString('latin1').slice(0, 300))}`;
      if (status.startsWith('5')) problems.push(`${status} for ${what}: ${answer.slice(-200)}`);
      if (status === '200' && !whitelisted(g)) problems.push(`200 outside the whitelist for ${what}`);
      if (/Error|at .*\.js:\d+/.test(answer.split('\r\n\r\n').slice(1).join(''))) problems.push(`internal text for ${what}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  t.log(`seed ${SEED}: ${[...statuses].sort().map(([s, n]) => `${s}×${n}`).join(' ')}`);
  t.deepEqual(problems.slice(0, 20), []);
  t.true((statuses.get('200') ?? 0) > 100, 'the generator reaches the served paths');
  t.true((statuses.get('404') ?? 0) > 1000);
  t.true((statuses.get('none') ?? 0) <= (REQUESTS * 0.02), 'only byte noise goes unanswered');
  // Still well: healthy, answering, and it shuts down cleanly.
  t.is((await fetch(`${stack.auxUrl}/healthz`)).status, 200);
  const list = await imds(stack.metadataUrl, '/latest/meta-data/iam/security-credentials/');
  t.is(list.body, 'demo-role');
  t.is(await stack.server.stop(), 0);
  t.false(stack.server.lines.some((l) => l.includes('"level":"error"') || l.includes('"level":"fatal"')), 'no error logged');
});
