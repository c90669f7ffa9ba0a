import test from 'ava';
import { inject } from 'light-my-request';
import { ManualClock, createLogger } from '@iam4kube/shared';
import { Writable } from 'node:stream';
import { createMetadataApp } from '../../src/metadata/app.js';
import { createTokenSigner } from '../../src/metadata/imds-token.js';
import type { Kernel } from '../../src/metadata/kernel.js';
import type { Resolution } from '../../src/identity/resolver.js';
import type { PodRecord } from '../../src/kube/pod-record.js';

const POD: PodRecord = {
  uid: 'u1', namespace: 'demo', name: 'app', podIPs: ['10.0.0.5'], serviceAccountName: 'app', nodeName: 'n1',
  phase: 'Running', hostNetwork: false, terminating: false, resourceVersion: '1',
};
const ROLE: Resolution = {
  kind: 'role',
  pod: POD,
  binding: { kind: 'role', roleArn: 'arn:aws:iam::123456789012:role/team/demo-role', roleName: 'demo-role', externalId: undefined, sessionName: 'demo@app' },
};

function setup(byIp: Record<string, Resolution>) {
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0, 500));
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', stream: new Writable({ write: (c, _e, cb) => { lines.push(String(c)); cb(); } }) });
  const kernel: Kernel = {
    resolve: async (ip) => byIp[ip] ?? { kind: 'refused', reason: 'unknown-pod' },
    credentials: async () => ({
      accessKeyId: 'ASIAEXAMPLEEXAMPLE01', secretAccessKey: 'secret/secret', sessionToken: 'tok',
      expiration: Date.UTC(2026, 10, 23, 13, 0, 0, 250), issuedAt: Date.UTC(2026, 10, 23, 12, 0, 0, 999),
    }),
  };
  const tokens = createTokenSigner();
  const app = createMetadataApp({ kernel, tokens, clock, logger, metrics: { observe: () => undefined }, waitTimeoutMs: 15_000 });
  const request = (o: { method?: string; url: string; ip?: string; headers?: Record<string, string> }) =>
    inject(app.callback(), { method: (o.method ?? 'GET') as 'GET', url: o.url, remoteAddress: o.ip ?? '10.0.0.5', headers: o.headers ?? {} });
  return { request, tokens, clock, lines };
}

test('the listing names exactly the role, path dropped', async (t) => {
  const { request } = setup({ '10.0.0.5': ROLE });
  for (const url of ['/latest/meta-data/iam/security-credentials/', '/latest/meta-data/iam/security-credentials', '//latest/meta-data/iam//security-credentials/', '/2021-07-15/meta-data/iam/security-credentials/']) {
    const res = await request({ url });
    t.is(res.statusCode, 200, url);
    t.is(res.body, 'demo-role', url);
  }
});

test('the credentials document has the exact fields and second-precision times', async (t) => {
  const { request } = setup({ '10.0.0.5': ROLE });
  const res = await request({ url: '/latest/meta-data/iam/security-credentials/demo-role' });
  t.is(res.statusCode, 200);
  t.deepEqual(JSON.parse(res.body), {
    Code: 'Success', LastUpdated: '2026-11-23T12:00:00Z', Type: 'AWS-HMAC', AccessKeyId: 'ASIAEXAMPLEEXAMPLE01',
    SecretAccessKey: 'secret/secret', Token: 'tok', Expiration: '2026-11-23T13:00:00Z',
  });
});

test('another role name, no role, unknown callers and unknown paths are 404', async (t) => {
  const noRole: Resolution = { kind: 'no-role', pod: POD };
  const { request } = setup({ '10.0.0.5': ROLE, '10.0.0.6': noRole });
  t.is((await request({ url: '/latest/meta-data/iam/security-credentials/other-role' })).statusCode, 404);
  t.is((await request({ url: '/latest/meta-data/iam/security-credentials/', ip: '10.0.0.6' })).statusCode, 404);
  t.is((await request({ url: '/latest/meta-data/iam/security-credentials/demo-role', ip: '10.0.0.6' })).statusCode, 404);
  t.is((await request({ url: '/latest/meta-data/iam/security-credentials/', ip: '10.9.9.9' })).statusCode, 404);
  for (const url of ['/', '/latest/user-data', '/latest/meta-data/iam/security-credentials-extended/', '/latest/meta-data/iam/security-credentials/demo-role/x', '/latest/meta-data/iam/security-credentials/%2e%2e']) {
    const res = await request({ url });
    t.is(res.statusCode, 404, url);
  }
});

test('IMDSv2: a token PUT needs a TTL from 1 to 21600 and echoes it', async (t) => {
  const { request } = setup({ '10.0.0.5': ROLE });
  for (const ttl of ['0', '21601', 'abc', '-1', '1.5']) {
    t.is((await request({ method: 'PUT', url: '/latest/api/token', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': ttl } })).statusCode, 400, ttl);
  }
  t.is((await request({ method: 'PUT', url: '/latest/api/token' })).statusCode, 400);
  const res = await request({ method: 'PUT', url: '/latest/api/token', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' } });
  t.is(res.statusCode, 200);
  t.is(res.headers['x-aws-ec2-metadata-token-ttl-seconds'], '21600');
  t.regex(String(res.headers['content-type']), /^text\/plain/);
  const ok = await request({ url: '/latest/meta-data/iam/security-credentials/', headers: { 'x-aws-ec2-metadata-token': res.body } });
  t.is(ok.statusCode, 200);
});

test('IMDSv2: invalid, expired or foreign-IP tokens are 401; X-Forwarded-For is 403', async (t) => {
  const { request, clock } = setup({ '10.0.0.5': ROLE, '10.0.0.7': ROLE });
  const token = (await request({ method: 'PUT', url: '/latest/api/token', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } })).body;
  const list = '/latest/meta-data/iam/security-credentials/';
  t.is((await request({ url: list, headers: { 'x-aws-ec2-metadata-token': 'garbage' } })).statusCode, 401);
  t.is((await request({ url: list, ip: '10.0.0.7', headers: { 'x-aws-ec2-metadata-token': token } })).statusCode, 401);
  t.is((await request({ method: 'PUT', url: '/latest/api/token', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60', 'x-forwarded-for': '1.2.3.4' } })).statusCode, 403);
  await clock.advance(61_000);
  t.is((await request({ url: list, headers: { 'x-aws-ec2-metadata-token': token } })).statusCode, 401);
});

test('wrong methods on served paths are 405, never 200', async (t) => {
  const { request } = setup({ '10.0.0.5': ROLE });
  t.is((await request({ method: 'POST', url: '/latest/meta-data/iam/security-credentials/' })).statusCode, 405);
  t.is((await request({ method: 'GET', url: '/latest/api/token' })).statusCode, 405);
});

test('no secret reaches the log, even at debug', async (t) => {
  const { request, lines } = setup({ '10.0.0.5': ROLE });
  await request({ url: '/latest/meta-data/iam/security-credentials/demo-role' });
  t.true(lines.length > 0);
  const all = lines.join('');
  t.false(all.includes('secret/secret'));
  t.false(all.includes('"tok"'));
});
