import test from 'ava';
import { classifyStsError, isDurationTooLong } from '../../src/credentials/classify-error.js';
import { CredentialsError } from '../../src/credentials/credentials.js';

const sdkError = (name: string, message: string, status: number) => Object.assign(new Error(message), { name, $fault: status < 500 ? 'client' : 'server', $metadata: { httpStatusCode: status } });

const cases: Array<[string, unknown, string, boolean]> = [
  ['AccessDenied', sdkError('AccessDenied', 'User: x is not authorized to perform: sts:AssumeRole', 403), 'AccessDenied', true],
  ['an invalid ARN', sdkError('ValidationError', 'Request ARN is invalid', 400), 'ValidationError', true],
  ['a disabled region', sdkError('RegionDisabledException', 'STS is not activated in this region', 403), 'RegionDisabledException', true],
  ['throttling', sdkError('Throttling', 'Rate exceeded', 400), 'Throttling', false],
  ['a 5xx', sdkError('InternalFailure', 'oops', 500), 'InternalFailure', false],
  ['our own credentials rejected', sdkError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403), 'InvalidClientTokenId', false],
  ['our own credentials expired', sdkError('ExpiredToken', 'The security token included in the request is expired', 400), 'ExpiredToken', false],
  ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'ECONNREFUSED', false],
  ['a reset connection (the SDK names it TimeoutError)', Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' }), 'ECONNRESET', false],
  ['an aborted call', Object.assign(new Error('Request aborted'), { name: 'AbortError' }), 'AbortError', false],
  ['no base credentials', Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'CredentialsProviderError', false],
  ['something odd', 'a string', 'UnknownError', false],
];
for (const [what, err, code, permanent] of cases) {
  test(`${what} → ${code}, ${permanent ? 'permanent' : 'transient'}`, (t) => {
    const c = classifyStsError(err);
    t.is(c.code, code);
    t.is(c.permanent, permanent);
    t.false(c.message.includes('\n'));
  });
}

test('a CredentialsError passes through', (t) => {
  const e = new CredentialsError('x', 'Timeout', false);
  t.is(classifyStsError(e), e);
});

test('duration refusals are recognised', (t) => {
  t.true(isDurationTooLong(classifyStsError(sdkError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.', 400))));
  t.true(isDurationTooLong(classifyStsError(sdkError('ValidationError', 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.', 400))));
  t.false(isDurationTooLong(classifyStsError(sdkError('ValidationError', 'Request ARN is invalid', 400))));
});
