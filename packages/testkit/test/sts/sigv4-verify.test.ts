import test from 'ava';
import { parseAuthorization } from '../../src/sts/sigv4-parse.js';
import type { SignedRequest } from '../../src/sts/sigv4-parse.js';
import {
  canonicalPath,
  canonicalQuery,
  canonicalRequest,
  expectedSignature,
  sha256Hex,
  stringToSign,
  verifySignature,
} from '../../src/sts/sigv4-verify.js';
import { sign, stsRequest } from './sign.js';
import type { RawRequest } from './sign.js';

// AWS's published SigV4 test suite (aws-sig-v4-test-suite), credentials and date shared by every vector.
const SUITE_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const SCOPE = 'AKIDEXAMPLE/20150830/us-east-1/service/aws4_request';

function vector(method: string, headers: Record<string, string>, body = '', authorization: string): SignedRequest {
  return { method, path: '/', query: '', body, headers: { ...headers, authorization } };
}

const postForm = vector(
  'POST',
  { 'content-type': 'application/x-www-form-urlencoded', host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' },
  'Param1=value1',
  `AWS4-HMAC-SHA256 Credential=${SCOPE}, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a`,
);

test('AWS vector post-x-www-form-urlencoded: canonical request, string to sign and signature', (t) => {
  const auth = parseAuthorization(postForm);
  const canonical = canonicalRequest(postForm, auth.signedHeaders);
  t.is(
    canonical,
    'POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n' +
      'content-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e',
  );
  t.is(
    stringToSign(auth.requestTime, auth.scope, canonical),
    'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281',
  );
  t.is(expectedSignature(postForm, auth, SUITE_SECRET), 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a');
  t.true(verifySignature(postForm, auth, SUITE_SECRET));
  t.false(verifySignature(postForm, auth, `${SUITE_SECRET}x`));
});

test('AWS vector get-vanilla verifies; its tampered variants do not', (t) => {
  const vanilla = vector(
    'GET',
    { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' },
    '',
    `AWS4-HMAC-SHA256 Credential=${SCOPE}, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31`,
  );
  const auth = parseAuthorization(vanilla);
  t.true(verifySignature(vanilla, auth, SUITE_SECRET));
  t.false(verifySignature({ ...vanilla, method: 'POST' }, auth, SUITE_SECRET));
  t.false(verifySignature({ ...vanilla, path: '/other' }, auth, SUITE_SECRET));
  t.false(verifySignature({ ...vanilla, query: 'a=b' }, auth, SUITE_SECRET));
  t.false(verifySignature({ ...vanilla, body: 'x' }, auth, SUITE_SECRET));
  t.false(verifySignature({ ...vanilla, headers: { ...vanilla.headers, host: 'evil.example.com' } }, auth, SUITE_SECRET));
  // Headers outside SignedHeaders are not covered.
  t.true(verifySignature({ ...vanilla, headers: { ...vanilla.headers, 'user-agent': 'x' } }, auth, SUITE_SECRET));
  const flipped = { ...auth, signature: `${auth.signature.slice(0, -1)}0` };
  t.false(verifySignature(vanilla, flipped, SUITE_SECRET));
  t.false(verifySignature(vanilla, { ...auth, signature: auth.signature.toUpperCase() }, SUITE_SECRET));
});

test('canonical headers trim values, collapse inner whitespace and join repeated headers with commas', (t) => {
  const req: SignedRequest = {
    method: 'GET',
    path: '/',
    query: '',
    body: '',
    headers: { host: 'example.amazonaws.com', 'my-header1': ['value2', 'value2', 'value1'], 'my-header2': '  a   b  c ' },
  };
  t.is(
    canonicalRequest(req, ['host', 'my-header1', 'my-header2']).split('\n').slice(3, 6).join('\n'),
    'host:example.amazonaws.com\nmy-header1:value2,value2,value1\nmy-header2:a b c',
  );
});

test('canonical path and query follow the non-S3 rules', (t) => {
  t.is(canonicalPath('/'), '/');
  t.is(canonicalPath(''), '/');
  t.is(canonicalPath('/a/./b/../c/'), '/a/c/');
  t.is(canonicalPath('//a//b'), '/a/b');
  t.is(canonicalPath('/%E1%88%B4'), '/%25E1%2588%25B4'); // encoded once more
  t.is(canonicalQuery('b=2&a=1&a=0&X-Amz-Signature=zz'), 'a=0&a=1&b=2');
  t.is(canonicalQuery('Param1=value%201&Param2'), 'Param1=value%201&Param2=');
  t.is(canonicalQuery("k=*'()!"), 'k=%2A%27%28%29%21');
});

async function smithySigned(extra: Partial<RawRequest> = {}, sessionToken?: string): Promise<SignedRequest> {
  const base = stsRequest('http://127.0.0.1:4566', { Action: 'AssumeRole', Version: '2011-06-15', RoleArn: 'arn:aws:iam::123456789012:role/x', RoleSessionName: 'a b+c' });
  const signed = await sign(
    { ...base, ...extra, headers: { ...base.headers, 'x-custom': '  spaced   value ', ...extra.headers } },
    { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SUITE_SECRET, ...(sessionToken !== undefined && { sessionToken }) },
  );
  const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method: signed.method, path: signed.path, query: '', headers, body: signed.body ?? '' };
}

test('requests signed by the AWS SDK signer (@smithy/signature-v4) verify, including session token and content hash', async (t) => {
  const req = await smithySigned({}, 'FwoGZXIvYXdzEXAMPLE+/=');
  const auth = parseAuthorization(req);
  t.deepEqual(
    auth.signedHeaders,
    ['content-type', 'host', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-security-token', 'x-custom'],
  );
  t.is(req.headers['x-amz-content-sha256'], sha256Hex(req.body));
  t.true(verifySignature(req, auth, SUITE_SECRET));
});

test('tampered variants of an SDK-signed request fail verification', async (t) => {
  const req = await smithySigned({}, 'token');
  const auth = parseAuthorization(req);
  const variants: Array<[string, SignedRequest]> = [
    ['body', { ...req, body: `${String(req.body)}&DurationSeconds=43200` }],
    ['security token', { ...req, headers: { ...req.headers, 'x-amz-security-token': 'other' } }],
    ['content hash header', { ...req, headers: { ...req.headers, 'x-amz-content-sha256': sha256Hex('other') } }],
    ['signed custom header', { ...req, headers: { ...req.headers, 'x-custom': 'changed' } }],
    ['removed signed header', { ...req, headers: { ...req.headers, 'x-custom': undefined } }],
    ['date', { ...req, headers: { ...req.headers, 'x-amz-date': '20200101T000000Z' } }],
  ];
  for (const [what, variant] of variants) t.false(verifySignature(variant, auth, SUITE_SECRET), what);
  t.false(verifySignature(req, { ...auth, region: 'eu-west-1' }, SUITE_SECRET), 'region');
  t.false(verifySignature(req, { ...auth, signedHeaders: auth.signedHeaders.filter((h) => h !== 'host') }, SUITE_SECRET), 'host unsigned');
  t.true(verifySignature(req, auth, SUITE_SECRET), 'the original still verifies');
});

test('a content hash header that disagrees with the body cannot verify even when it was signed', async (t) => {
  // A client that signs the hash of one body and sends another: the signer trusts its header, AWS hashes the body.
  const base = await smithySigned({ headers: { 'x-amz-content-sha256': sha256Hex('Action=GetCallerIdentity&Version=2011-06-15') } });
  t.false(verifySignature(base, parseAuthorization(base), SUITE_SECRET));
});
