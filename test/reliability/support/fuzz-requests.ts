/**
 * Random and malformed requests for the metadata port, and the whitelist that decides which of them may be
 * answered 200. The whitelist is written from the documented API (the IMDS paths the server says it serves),
 * not from the server's route table, so that a route added by mistake shows up here.
 */

export type Random = () => number;

export interface FuzzRequest {
  /** The bytes written to the socket. */
  readonly bytes: Buffer;
  /** Method and target of each request in `bytes`, in order, when it has a request line at all. */
  readonly requests: ReadonlyArray<{ readonly method: string; readonly target: string }>;
  readonly kind: string;
}

const ROLE = 'demo-role';
const GET_PATHS = new Set([
  '/latest/meta-data',
  '/latest/meta-data/iam',
  '/latest/meta-data/iam/security-credentials',
  `/latest/meta-data/iam/security-credentials/${ROLE}`,
  '/latest/meta-data/iam/security-credentials-extended',
  `/latest/meta-data/iam/security-credentials-extended/${ROLE}`,
  '/latest/meta-data/placement',
  '/latest/meta-data/placement/availability-zone',
  '/latest/meta-data/placement/region',
  '/latest/dynamic',
  '/latest/dynamic/instance-identity',
  '/latest/dynamic/instance-identity/document',
]);

/** Whether a 200 to this request is allowed: a documented path, with its method, as IMDS normalises paths. */
export function whitelisted(method: string, target: string): boolean {
  let path = target;
  if (/^https?:\/\//i.test(path)) path = path.replace(/^https?:\/\/[^/]*/i, '') || '/';
  path = path.split('?')[0]!.split('#')[0]!;
  if (path.includes('%') || path.includes('\\')) return false;
  path = path.replace(/\/{2,}/g, '/');
  const segments = path.split('/');
  if (segments.some((s) => s === '.' || s === '..')) return false;
  if (segments[1] !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(segments[1])) segments[1] = 'latest';
  path = segments.join('/');
  if (method === 'PUT') return path === '/latest/api/token';
  if (method !== 'GET' && method !== 'HEAD') return false;
  return GET_PATHS.has(path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);
}

const SEGMENTS = [
  'latest', 'meta-data', 'iam', 'security-credentials', 'security-credentials-extended', ROLE, 'other-role', 'placement',
  'region', 'availability-zone', 'dynamic', 'instance-identity', 'document', 'api', 'token', '..', '.', '%2e%2e', '%2F',
  '', '2021-07-15', '1.0', 'user-data', 'hostname', 'instance-id', 'local-ipv4', 'public-keys', '0', 'openssh-key',
  'mac', 'network', 'ÿ', '\u00e9t\u00e9', 'a'.repeat(300), '*', '~', 'latest?x=1', 'ДЕМО',
];
const METHODS = ['GET', 'GET', 'GET', 'HEAD', 'PUT', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'PROPFIND', 'get', 'G\u0000T', 'XYZZY'];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/0.9', 'HTTP/2.0', 'HTTP/1.1x', ''];

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

/** A documented path, often mutated (trailing or doubled slash, dated version, another role, an extra segment). */
function nearValidTarget(random: Random): string {
  let path = pick(random, [...GET_PATHS, '/latest/api/token']);
  const r = random();
  if (r < 0.15) path += '/';
  else if (r < 0.25) path = path.replace('/latest/', '//latest//');
  else if (r < 0.35) path = path.replace('/latest/', '/2016-09-02/');
  else if (r < 0.45) path = path.replace(ROLE, pick(random, ['other-role', 'DEMO-ROLE', `${ROLE}x`, `${ROLE}/x`]));
  else if (r < 0.55) path += `/${pick(random, SEGMENTS)}`;
  else if (r < 0.6) path = path.replace('latest', pick(random, ['Latest', 'latest.', '%6catest', '1.0']));
  return path;
}

export function randomTarget(random: Random): string {
  if (random() < 0.4) return nearValidTarget(random);
  const n = Math.floor(random() * 7);
  const parts = Array.from({ length: n }, () => pick(random, SEGMENTS));
  let target = (random() < 0.1 ? '' : '/') + parts.join(random() < 0.15 ? '//' : '/');
  if (random() < 0.1) target += '/';
  if (random() < 0.05) target = `http://169.254.169.254${target}`;
  if (random() < 0.05) target += `?${pick(random, ['a=b', '../x', '%00', 'Action=AssumeRole'])}`;
  if (random() < 0.02) target = '*';
  return target || '/';
}

function randomHeaders(random: Random, token: string): string[] {
  const headers: string[] = [];
  if (random() < 0.9) headers.push('Host: 169.254.169.254');
  if (random() < 0.05) headers.push('Host: other', 'Host: another');
  if (random() < 0.3) headers.push(`X-aws-ec2-metadata-token: ${pick(random, [token, token, '', 'AQAEA', 'x'.repeat(100), token.slice(0, -1) + 'A', '\u0001'])}`);
  if (random() < 0.3) headers.push(`X-aws-ec2-metadata-token-ttl-seconds: ${pick(random, ['21600', '1', '0', '-1', '21601', 'abc', '1e3', ' 60', '99999999999999999999'])}`);
  if (random() < 0.1) headers.push(`X-Forwarded-For: ${pick(random, ['127.0.0.1', '10.0.0.1', 'evil'])}`);
  if (random() < 0.05) headers.push(`Content-Length: ${pick(random, ['0', '5', '-1', 'abc', '99999999'])}`);
  if (random() < 0.05) headers.push('Transfer-Encoding: chunked');
  if (random() < 0.03) headers.push(`X-Big: ${'b'.repeat(20_000)}`);
  if (random() < 0.03) for (let i = 0; i < 150; i++) headers.push(`X-Many-${i}: ${i}`);
  if (random() < 0.03) headers.push('Bad Header: x', 'X-Ctl: a\u0001b');
  if (random() < 0.03) headers.push(' folded: continuation');
  return headers;
}

function requestText(random: Random, token: string): { text: string; method: string; target: string } {
  const method = pick(random, METHODS);
  const target = randomTarget(random);
  const version = pick(random, VERSIONS);
  const lines = [`${method} ${target}${version ? ` ${version}` : ''}`, ...randomHeaders(random, token)];
  let body = '';
  if (random() < 0.05) body = pick(random, ['hello', '5\r\nhello\r\n0\r\n\r\n', 'zz\r\n', '\u0000'.repeat(10)]);
  return { text: `${lines.join('\r\n')}\r\n\r\n${body}`, method, target };
}

/** One random case: garbage bytes, one (malformed or not) request, or several pipelined. */
export function randomCase(random: Random, token: string): FuzzRequest {
  const r = random();
  if (r < 0.15) {
    const bytes = Buffer.alloc(1 + Math.floor(random() * 2000));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
    return { bytes, requests: [], kind: 'garbage' };
  }
  if (r < 0.2) return { bytes: Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), requests: [], kind: 'h2 preface' };
  const count = r < 0.35 ? 2 + Math.floor(random() * 4) : 1;
  const requests = Array.from({ length: count }, () => requestText(random, token));
  return { bytes: Buffer.from(requests.map((q) => q.text).join('')), requests: requests.map(({ method, target }) => ({ method, target })), kind: count > 1 ? 'pipelined' : 'request' };
}

/** Status codes of every HTTP response in a byte stream, in order (no body this API sends contains a status line). */
export function statusCodes(response: string): number[] {
  return [...response.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
}

/** A small seeded generator (mulberry32), so a failing run can be replayed with its seed. */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
