import test from 'ava';
import { ROLE, harness, podRecord } from './harness.js';
import type { Resolution } from '../../src/identity/resolver.js';

const PLACEMENTS = { 'node-a': { zone: 'us-east-1a', region: 'us-east-1' } };
const DOCUMENT = {
  Code: 'Success', LastUpdated: '2026-11-23T12:00:00Z', Type: 'AWS-HMAC', AccessKeyId: 'ASIAEXAMPLEEXAMPLE01',
  SecretAccessKey: 'secret/secret+SECRET', Token: 'session-token-SECRET', Expiration: '2026-11-23T13:00:00Z',
};

/** Every GET the API answers, in each spelling an SDK uses, with the exact body. */
const SERVED: Array<[paths: string[], body: string | object]> = [
  [['/meta-data/', '/meta-data'], 'iam/\nplacement/'],
  [['/meta-data/iam/', '/meta-data/iam'], 'security-credentials/'],
  [['/meta-data/iam/security-credentials/', '/meta-data/iam/security-credentials', '/meta-data/iam//security-credentials//'], 'demo-role'],
  [['/meta-data/iam/security-credentials-extended/', '/meta-data/iam/security-credentials-extended'], 'demo-role'],
  [['/meta-data/iam/security-credentials/demo-role', '/meta-data/iam/security-credentials/demo-role/'], DOCUMENT],
  [['/meta-data/iam/security-credentials-extended/demo-role'], { ...DOCUMENT, AccountId: '123456789012' }],
  [['/meta-data/placement/', '/meta-data/placement'], 'availability-zone\nregion'],
  [['/meta-data/placement/availability-zone', '/meta-data/placement/availability-zone/'], 'us-east-1a'],
  [['/meta-data/placement/region', '/meta-data/placement/region/'], 'us-east-1'],
  [['/dynamic/', '/dynamic'], 'instance-identity/'],
  [['/dynamic/instance-identity/', '/dynamic/instance-identity'], 'document'],
  [['/dynamic/instance-identity/document'], { availabilityZone: 'us-east-1a', region: 'us-east-1' }],
];
const VERSIONS = ['/latest', '/2021-07-15', '//latest', '/2009-04-04/'];

for (const [paths, body] of SERVED) {
  test(`GET ${paths[0]} in every version form and spelling`, async (t) => {
    const { request } = harness({ byIp: { '10.0.0.5': ROLE }, placements: PLACEMENTS });
    for (const version of VERSIONS) {
      for (const path of paths) {
        const url = `${version}${path}`;
        const res = await request({ url });
        t.is(res.statusCode, 200, url);
        if (typeof body === 'string') {
          t.is(res.body, body, url);
          t.regex(String(res.headers['content-type']), /^text\/plain/, url);
        } else {
          t.deepEqual(JSON.parse(res.body), body, url);
        }
      }
    }
  });
}

test('a query string is ignored, as EC2 does', async (t) => {
  const { request } = harness({ byIp: { '10.0.0.5': ROLE } });
  const res = await request({ url: '/latest/meta-data/iam/security-credentials/?x=/../../user-data' });
  t.is(res.statusCode, 200);
  t.is(res.body, 'demo-role');
});

test('HEAD answers wherever GET does, without a body', async (t) => {
  const { request } = harness({ byIp: { '10.0.0.5': ROLE } });
  const res = await request({ method: 'HEAD', url: '/latest/meta-data/iam/security-credentials/' });
  t.is(res.statusCode, 200);
  t.is(res.body, '');
});

// Dot segments and backslashes are not here: the injector resolves them before the app sees the URL. paths.test.ts
// and http-server.test.ts (raw bytes on a real socket) cover them.
const NOT_OURS = [
  '/', '/latest', '/latest/', '/latest/user-data', '/latest/meta-data/iam/info', '/latest/meta-data/instance-id',
  '/latest/meta-data/hostname', '/latest/meta-data/local-ipv4', '/latest/meta-data/placement/availability-zone-id',
  '/latest/meta-data/iam/security-credentials/demo-role/x',
  '/latest/meta-data/iam/security-credentials%2fdemo-role', '/latest/meta-data/iam%2Fsecurity-credentials/', '/LATEST/meta-data/', '/latest/meta-data/IAM/', '/1.0/meta-data/',
  '/2021-7-15/meta-data/', '/latest/api', '/latest/api/token/', '/latest/dynamic/instance-identity/signature',
  '/latest/dynamic/instance-identity/pkcs7', `/latest/meta-data/iam/security-credentials/${'x'.repeat(65)}`,
  '/latest/meta-data/iam/security-credentials/demo role', '/latest/meta-data/iam/security-credentials/demo-role%00',
  '/latest/meta-data/iam/security-credentials/;demo-role',
  '*',
];

test('everything else is 404, never 401 or 403, whatever the method, token or IMDSv1 policy', async (t) => {
  for (const imdsV1 of ['allowed', 'disabled'] as const) {
    const { request } = harness({ byIp: { '10.0.0.5': ROLE }, imdsV1 });
    for (const url of NOT_OURS) {
      const variants: Array<Record<string, string>> = [{}, { 'x-aws-ec2-metadata-token': 'garbage' }, { 'x-forwarded-for': '1.2.3.4', 'x-aws-ec2-metadata-token': 'x' }];
      for (const headers of variants) {
        for (const method of ['GET', 'PUT', 'POST']) {
          const res = await request({ method, url, headers });
          t.is(res.statusCode, 404, `${imdsV1} ${method} ${url} ${JSON.stringify(headers)}`);
          t.is(res.body, 'Not Found');
        }
      }
    }
  }
});

test('the caller decides: another role name, no role, invalid role, unknown, ambiguous and host-network callers get 404', async (t) => {
  const other = podRecord({ name: 'other', ip: '10.0.0.9' });
  const byIp: Record<string, Resolution> = {
    '10.0.0.5': ROLE,
    '10.0.0.6': { kind: 'no-role', pod: podRecord({ name: 'plain', ip: '10.0.0.6' }) },
    '10.0.0.7': { kind: 'invalid-role', pod: podRecord({ name: 'bad', ip: '10.0.0.7' }), reason: 'not an ARN' },
    '10.0.0.9': { kind: 'refused', reason: 'ambiguous-ip', pods: [other, { ...other, name: 'other-2', uid: 'u2' }] },
    '10.0.0.10': { kind: 'refused', reason: 'host-network', pod: podRecord({ name: 'host', ip: '10.0.0.10', hostNetwork: true }) },
  };
  const { request } = harness({ byIp });
  t.is((await request({ url: '/latest/meta-data/iam/security-credentials/other-role' })).statusCode, 404);
  t.is((await request({ url: '/latest/meta-data/iam/security-credentials-extended/other-role' })).statusCode, 404);
  for (const ip of ['10.0.0.6', '10.0.0.7', '10.0.0.8', '10.0.0.9', '10.0.0.10']) {
    for (const url of ['/latest/meta-data/iam/security-credentials/', '/latest/meta-data/iam/security-credentials/demo-role', '/latest/meta-data/iam/security-credentials-extended/']) {
      t.is((await request({ url, ip })).statusCode, 404, `${ip} ${url}`);
    }
  }
});

test('placement is the caller node\'s, and 404 where unknown', async (t) => {
  const byIp: Record<string, Resolution> = {
    '10.0.0.5': ROLE,
    '10.0.0.6': { kind: 'no-role', pod: podRecord({ name: 'plain', ip: '10.0.0.6', nodeName: 'node-b' }) },
    '10.0.0.7': { kind: 'no-role', pod: podRecord({ name: 'zone-only', ip: '10.0.0.7', nodeName: 'node-c' }) },
    '10.0.0.8': { kind: 'no-role', pod: podRecord({ name: 'unlabelled', ip: '10.0.0.8', nodeName: 'node-d' }) },
  };
  const placements = { 'node-a': { zone: 'us-east-1a', region: 'us-east-1' }, 'node-b': { zone: 'eu-west-1b', region: 'eu-west-1' }, 'node-c': { zone: 'ap-south-1c' } };
  const { request } = harness({ byIp, placements });
  const get = async (url: string, ip: string) => {
    const res = await request({ url: `/latest/${url}`, ip });
    return res.statusCode === 200 ? res.body : res.statusCode;
  };
  t.is(await get('meta-data/placement/availability-zone', '10.0.0.5'), 'us-east-1a');
  t.is(await get('meta-data/placement/availability-zone', '10.0.0.6'), 'eu-west-1b');
  t.is(await get('meta-data/placement/region', '10.0.0.6'), 'eu-west-1');
  t.is(await get('meta-data/placement/availability-zone', '10.0.0.7'), 'ap-south-1c');
  t.is(await get('meta-data/placement/region', '10.0.0.7'), 404);
  t.deepEqual(JSON.parse(String(await get('dynamic/instance-identity/document', '10.0.0.7'))), { availabilityZone: 'ap-south-1c' });
  for (const url of ['meta-data/placement/availability-zone', 'meta-data/placement/region', 'dynamic/instance-identity/document']) {
    t.is(await get(url, '10.0.0.8'), 404, `unlabelled node: ${url}`);
    t.is(await get(url, '10.9.9.9'), 404, `unknown caller: ${url}`);
  }
});

test('another method on a served path is 405 with Allow; the token path takes only PUT', async (t) => {
  const { request } = harness({ byIp: { '10.0.0.5': ROLE } });
  for (const url of ['/latest/meta-data/', '/latest/meta-data/iam/security-credentials/', '/latest/meta-data/iam/security-credentials/demo-role', '/latest/meta-data/placement/region']) {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND']) {
      const res = await request({ method, url });
      t.is(res.statusCode, 405, `${method} ${url}`);
      t.is(res.headers.allow, 'GET, HEAD');
    }
  }
  for (const method of ['GET', 'HEAD', 'POST', 'DELETE']) {
    const res = await request({ method, url: '/latest/api/token', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } });
    t.is(res.statusCode, 405, method);
    t.is(res.headers.allow, 'PUT');
  }
});

test('a body on a GET or on the token PUT is a 400 that closes the connection', async (t) => {
  const { request } = harness({ byIp: { '10.0.0.5': ROLE } });
  const get = await request({ url: '/latest/meta-data/iam/security-credentials/', payload: 'x'.repeat(100) });
  t.is(get.statusCode, 400);
  t.is(get.headers.connection, 'close');
  const put = await request({ method: 'PUT', url: '/latest/api/token', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' }, payload: 'x' });
  t.is(put.statusCode, 400);
  const empty = await request({ method: 'PUT', url: '/latest/api/token', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60', 'content-length': '0' } });
  t.is(empty.statusCode, 200, 'an explicitly empty body is no body');
});

test('an unexpected error is a bare 500: no internal text reaches the client, the log has it', async (t) => {
  const { request, lines } = harness({ resolve: async () => { throw new TypeError('internal detail /srv/x.ts:12'); } });
  const res = await request({ url: '/latest/meta-data/iam/security-credentials/' });
  t.is(res.statusCode, 500);
  t.is(res.body, 'Internal Server Error');
  t.true(lines.some((l) => l.includes('unexpected error in metadata handler') && l.includes('internal detail')));
});

test('one debug line per request: method, path, caller IP, pod, role, status, duration', async (t) => {
  const { request, lines } = harness({ byIp: { '10.0.0.5': ROLE } });
  await request({ url: '/latest/meta-data/iam/security-credentials/demo-role' });
  await request({ url: '/nope', ip: '10.0.0.99' });
  const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.msg === 'request');
  t.is(entries.length, 2);
  t.like(entries[0], { level: 'debug', method: 'GET', path: '/latest/meta-data/iam/security-credentials/demo-role', ip: '10.0.0.5', pod: 'demo/app', roleArn: ROLE.kind === 'role' ? ROLE.binding.roleArn : '', route: 'credentials', status: 200 });
  t.is(typeof entries[0]!.ms, 'number');
  t.like(entries[1], { path: '/nope', ip: '10.0.0.99', route: 'other', status: 404 });
  t.false(lines.join('').includes('SECRET'), 'no secret in any line');
});

test('requests are counted by route and status', async (t) => {
  const { request, metric } = harness({ byIp: { '10.0.0.5': ROLE } });
  await request({ url: '/latest/meta-data/iam/security-credentials/' });
  await request({ url: '/latest/meta-data/iam/security-credentials/' });
  await request({ url: '/latest/user-data' });
  await request({ method: 'POST', url: '/latest/meta-data/' });
  t.is(await metric('iam4kube_metadata_requests_total', { route: 'credentials-list', status: '200' }), 2);
  t.is(await metric('iam4kube_metadata_requests_total', { route: 'other', status: '404' }), 1);
  t.is(await metric('iam4kube_metadata_requests_total', { route: 'meta-data', status: '405' }), 1);
  t.is(await metric('iam4kube_metadata_requests_in_flight', {}), 0);
});
