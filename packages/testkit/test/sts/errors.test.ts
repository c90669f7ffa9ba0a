import test from 'ava';
import { accessDenied, invalidAction, StsError, statusOf, stsError, toStsError } from '../../src/sts/errors.js';

test('codes carry the status and fault type AWS uses', (t) => {
  const expected: Array<[string, number, string]> = [
    ['ValidationError', 400, 'Sender'],
    ['Throttling', 400, 'Sender'],
    ['AccessDenied', 403, 'Sender'],
    ['RegionDisabledException', 403, 'Sender'],
    ['ExpiredToken', 403, 'Sender'],
    ['InvalidClientTokenId', 403, 'Sender'],
    ['SignatureDoesNotMatch', 403, 'Sender'],
    ['MissingAuthenticationToken', 403, 'Sender'],
    ['IncompleteSignature', 400, 'Sender'],
    ['InvalidAction', 400, 'Sender'],
    ['InternalFailure', 500, 'Receiver'],
    ['ServiceUnavailable', 503, 'Receiver'],
  ];
  for (const [code, status, type] of expected) t.like(stsError(code), { code, status, type }, code);
  t.like(stsError('Unheard', undefined, 418), { code: 'Unheard', status: 418, message: 'Unheard' });
  t.is(statusOf('Unheard'), 400);
});

test('AWS wording for access denied and unknown operations', (t) => {
  t.is(accessDenied('arn:c', 'arn:r').message, 'User: arn:c is not authorized to perform: sts:AssumeRole on resource: arn:r');
  t.is(invalidAction('Foo', undefined).message, 'Could not find operation Foo for version NO_VERSION_SPECIFIED');
});

test('anything but an StsError becomes an opaque InternalFailure', (t) => {
  const internal = toStsError(new Error('database password is hunter2'));
  t.like(internal, { code: 'InternalFailure', status: 500 });
  t.notRegex(internal.message, /hunter2/);
  const own = new StsError('X', 'y', 409);
  t.is(toStsError(own), own);
});
