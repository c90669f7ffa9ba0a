import test from 'ava';
import { StsError } from '../../src/sts/errors.js';
import {
  checkCredentialScope,
  checkRequestTime,
  formatBasicTime,
  parseAuthorization,
  parseBasicTime,
} from '../../src/sts/sigv4-parse.js';
import type { SignedRequest } from '../../src/sts/sigv4-parse.js';

const GOOD =
  'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=' +
  'a'.repeat(64);

function request(headers: Record<string, string | undefined>): SignedRequest {
  return { method: 'POST', path: '/', query: '', body: '', headers: { host: 'h', 'x-amz-date': '20150830T123600Z', ...headers } };
}

function failure(fn: () => unknown): { code: string; status: number; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof StsError) return { code: err.code, status: err.status, message: err.message };
    throw err;
  }
  throw new Error('expected an StsError');
}

test('parses a well-formed Authorization header', (t) => {
  const auth = parseAuthorization(request({ authorization: GOOD }));
  t.like(auth, {
    accessKeyId: 'AKIDEXAMPLE',
    scope: '20150830/us-east-1/sts/aws4_request',
    scopeDate: '20150830',
    region: 'us-east-1',
    service: 'sts',
    terminator: 'aws4_request',
    signature: 'a'.repeat(64),
    requestTime: '20150830T123600Z',
    requestTimeMs: Date.UTC(2015, 7, 30, 12, 36, 0),
    timeHeader: 'x-amz-date',
  });
  t.deepEqual(auth.signedHeaders, ['host', 'x-amz-date']);
});

test('no Authorization header is MissingAuthenticationToken (403)', (t) => {
  t.deepEqual(failure(() => parseAuthorization(request({}))), {
    code: 'MissingAuthenticationToken',
    status: 403,
    message: 'Request is missing Authentication Token',
  });
});

test('missing parts are IncompleteSignature (400) listing each missing part, like AWS', (t) => {
  const header = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request';
  t.deepEqual(failure(() => parseAuthorization(request({ authorization: header, 'x-amz-date': undefined }))), {
    code: 'IncompleteSignature',
    status: 400,
    message:
      "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. " +
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. " +
      `Authorization=${header}`,
  });
  const v2 = failure(() => parseAuthorization(request({ authorization: 'AWS AKIDEXAMPLE:c2lnbmF0dXJl' })));
  t.is(v2.code, 'IncompleteSignature');
  t.regex(v2.message, /^'AKIDEXAMPLE:c2lnbmF0dXJl' not a valid key=value pair \(missing equal-sign\)/);
});

test('a wrong algorithm, a short credential or a malformed date is IncompleteSignature', (t) => {
  t.is(failure(() => parseAuthorization(request({ authorization: GOOD.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA1') }))).code, 'IncompleteSignature');
  const short = failure(() => parseAuthorization(request({ authorization: GOOD.replace('/us-east-1', '') })));
  t.is(short.message, "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/sts/aws4_request'");
  const date = failure(() => parseAuthorization(request({ authorization: GOOD, 'x-amz-date': '2015-08-30T12:36:00Z' })));
  t.is(date.code, 'IncompleteSignature');
  t.regex(date.message, /^Date must be in ISO-8601 'basic format'\. Got '2015-08-30T12:36:00Z'/);
});

test('the Date header stands in for X-Amz-Date', (t) => {
  const auth = parseAuthorization(request({ authorization: GOOD, 'x-amz-date': undefined, date: 'Sun, 30 Aug 2015 12:36:00 GMT' }));
  t.is(auth.requestTime, '20150830T123600Z');
  t.is(auth.timeHeader, 'date');
});

test('basic-format times round-trip and impossible dates are rejected', (t) => {
  t.is(parseBasicTime('20150830T123600Z'), Date.UTC(2015, 7, 30, 12, 36));
  t.is(formatBasicTime(Date.UTC(2015, 7, 30, 12, 36, 0, 999)), '20150830T123600Z');
  for (const bad of ['20150230T000000Z', '20150830T246000Z', '20150830T123600', '2015083T123600Z']) t.is(parseBasicTime(bad), undefined, bad);
});

test('credential scope: date, region, service and terminator are checked (SignatureDoesNotMatch)', (t) => {
  const scoped = (credential: string) => parseAuthorization(request({ authorization: GOOD.replace('AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request', credential) }));
  t.notThrows(() => checkCredentialScope(scoped('AKIDEXAMPLE/20150830/eu-west-3/sts/aws4_request'), 'sts'));
  t.deepEqual(failure(() => checkCredentialScope(scoped('AKIDEXAMPLE/20150831/us-east-1/sts/aws4_request'), 'sts')), {
    code: 'SignatureDoesNotMatch',
    status: 403,
    message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != '20150830', from 'x-amz-date'.",
  });
  t.is(failure(() => checkCredentialScope(scoped('AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request'), 'sts')).message, "Credential should be scoped to correct service: 'sts'. ");
  t.is(failure(() => checkCredentialScope(scoped('AKIDEXAMPLE/20150830/us-east-1/sts/aws5_request'), 'sts')).message, "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ");
  t.is(failure(() => checkCredentialScope(scoped('AKIDEXAMPLE/20150830/US_EAST/sts/aws4_request'), 'sts')).code, 'SignatureDoesNotMatch');
});

test('the request time must be within 15 minutes of the emulator clock, boundaries included', (t) => {
  const auth = parseAuthorization(request({ authorization: GOOD }));
  const at = auth.requestTimeMs;
  t.notThrows(() => checkRequestTime(auth, at + 15 * 60_000));
  t.notThrows(() => checkRequestTime(auth, at - 15 * 60_000));
  t.deepEqual(failure(() => checkRequestTime(auth, at + 15 * 60_000 + 1000)), {
    code: 'SignatureDoesNotMatch',
    status: 403,
    message: 'Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T125101Z - 15 min.)',
  });
  t.deepEqual(failure(() => checkRequestTime(auth, at - 15 * 60_000 - 1000)), {
    code: 'SignatureDoesNotMatch',
    status: 403,
    message: 'Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T122059Z + 15 min.)',
  });
});
