import test from 'ava';
import { randomBytes } from 'node:crypto';
import { ROLE, harness } from './harness.js';
import { createTokenSigner } from '../../src/metadata/imds-token.js';

const LIST = '/latest/meta-data/iam/security-credentials/';
const PUT = (ttl?: string, extra: Record<string, string> = {}) => ({
  method: 'PUT',
  url: '/latest/api/token',
  headers: { ...(ttl === undefined ? {} : { 'x-aws-ec2-metadata-token-ttl-seconds': ttl }), ...extra },
});

test('the token PUT: TTL 1..21600 answers text/plain and echoes the TTL; anything else is 400', async (t) => {
  const { request } = harness();
  for (const [ttl, echoed] of [['1', '1'], ['60', '60'], ['21600', '21600'], [' 300 ', '300'], ['00060', '60']]) {
    const res = await request(PUT(ttl));
    t.is(res.statusCode, 200, ttl);
    t.is(res.headers['x-aws-ec2-metadata-token-ttl-seconds'], echoed, ttl);
    t.regex(String(res.headers['content-type']), /^text\/plain/);
    t.regex(res.body, /^[\w.-]{20,80}$/);
  }
  for (const ttl of [undefined, '', '0', '21601', '-1', '1.5', 'abc', '1e3', '0x10', '99999999999999999999', '6,0', '+60']) {
    const res = await request(PUT(ttl));
    t.is(res.statusCode, 400, String(ttl));
    t.is(res.headers['x-aws-ec2-metadata-token-ttl-seconds'], undefined);
  }
});

test('the token PUT is answered at once, whatever the state of the caches', async (t) => {
  // A resolver that never answers (caches not synced, pod never seen): the PUT does not touch it.
  const { request } = harness({ resolve: () => new Promise(() => undefined) });
  const res = await request(PUT('21600'));
  t.is(res.statusCode, 200);
});

test('a valid token is accepted; invalid, tampered, foreign-IP or expired tokens are 401', async (t) => {
  const { request, token, clock, metric } = harness({ byIp: { '10.0.0.5': ROLE, '10.0.0.7': ROLE } });
  const good = await token();
  t.is((await request({ url: LIST, headers: { 'x-aws-ec2-metadata-token': good } })).statusCode, 200);
  const tampered = good.slice(0, -2) + (good.endsWith('AA') ? 'BB' : 'AA');
  const longer = good.replace(/\.(\d+)\./, (_m, e: string) => `.${Number(e) + 3600}.`);
  for (const [what, value] of [['garbage', 'garbage'], ['tampered signature', tampered], ['extended expiry', longer], ['huge', 'x'.repeat(8000)]] as const) {
    t.is((await request({ url: LIST, headers: { 'x-aws-ec2-metadata-token': value } })).statusCode, 401, what);
  }
  t.is((await request({ url: LIST, ip: '10.0.0.7', headers: { 'x-aws-ec2-metadata-token': good } })).statusCode, 401, 'bound to the caller IP');
  // Valid through its TTL (and a few seconds of tolerance for replica clock skew), 401 after.
  await clock.advance(60_000);
  t.is((await request({ url: LIST, headers: { 'x-aws-ec2-metadata-token': good } })).statusCode, 200);
  await clock.advance(6_000);
  t.is((await request({ url: LIST, headers: { 'x-aws-ec2-metadata-token': good } })).statusCode, 401, 'expired');
  t.is(await metric('iam4kube_metadata_tokens_total', { result: 'issued' }), 1);
  t.is(await metric('iam4kube_metadata_tokens_total', { result: 'valid' }), 2);
  t.is(await metric('iam4kube_metadata_tokens_total', { result: 'invalid' }), 5);
  t.is(await metric('iam4kube_metadata_tokens_total', { result: 'expired' }), 1);
});

test('X-Forwarded-For: 403 on the token PUT and on a request with a token; ignored otherwise (the socket decides)', async (t) => {
  const { request, token } = harness({ byIp: { '10.0.0.5': ROLE } });
  t.is((await request(PUT('60', { 'x-forwarded-for': '10.0.0.5' }))).statusCode, 403);
  const good = await token();
  t.is((await request({ url: LIST, headers: { 'x-aws-ec2-metadata-token': good, 'x-forwarded-for': '1.2.3.4' } })).statusCode, 403);
  // Without a token, a proxy header changes nothing: a caller cannot claim another pod's IP with it.
  const res = await request({ url: LIST, ip: '10.0.0.99', headers: { 'x-forwarded-for': '10.0.0.5', 'x-real-ip': '10.0.0.5', forwarded: 'for=10.0.0.5' } });
  t.is(res.statusCode, 404);
});

test('--imds-v1=disabled: no token is 401 on served paths; the token flow works', async (t) => {
  const { request, token } = harness({ byIp: { '10.0.0.5': ROLE }, imdsV1: 'disabled' });
  for (const url of [LIST, '/latest/meta-data/', '/latest/meta-data/iam/security-credentials/demo-role', '/latest/meta-data/placement/region']) {
    t.is((await request({ url })).statusCode, 401, url);
  }
  t.is((await request({ url: '/latest/user-data' })).statusCode, 404, 'unknown paths stay 404');
  const good = await token();
  const res = await request({ url: LIST, headers: { 'x-aws-ec2-metadata-token': good } });
  t.is(res.statusCode, 200);
  t.is(res.body, 'demo-role');
});

test('replicas sharing a key accept each other\'s tokens', async (t) => {
  const key = randomBytes(32);
  const a = harness({ byIp: { '10.0.0.5': ROLE }, tokens: createTokenSigner({ key }), imdsV1: 'disabled' });
  const b = harness({ byIp: { '10.0.0.5': ROLE }, tokens: createTokenSigner({ key }), imdsV1: 'disabled' });
  const fromA = await a.token();
  const res = await b.request({ url: LIST, headers: { 'x-aws-ec2-metadata-token': fromA } });
  t.is(res.statusCode, 200);
  t.is(res.body, 'demo-role');
});

test('a token signed with another key: served as IMDSv1 when v1 is allowed (reported once), 401 when disabled', async (t) => {
  const a = harness({ byIp: { '10.0.0.5': ROLE } });
  const fromA = await a.token();
  const allowed = harness({ byIp: { '10.0.0.5': ROLE } });
  for (let i = 0; i < 3; i++) {
    const res = await allowed.request({ url: LIST, headers: { 'x-aws-ec2-metadata-token': fromA } });
    t.is(res.statusCode, 200);
  }
  t.is(await allowed.metric('iam4kube_metadata_tokens_total', { result: 'foreign' }), 3);
  const warnings = allowed.lines.filter((l) => l.includes('does not share --token-key-file') || l.includes('do not share --token-key-file'));
  t.is(warnings.length, 1, 'one warning per foreign key, not one per request');
  t.false(warnings[0]!.includes(fromA), 'the token itself is not logged');

  const disabled = harness({ byIp: { '10.0.0.5': ROLE }, imdsV1: 'disabled', tokens: createTokenSigner({ key: randomBytes(32) }) });
  t.is((await disabled.request({ url: LIST, headers: { 'x-aws-ec2-metadata-token': fromA } })).statusCode, 401);
});
