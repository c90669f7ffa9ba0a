import test from 'ava';
import { authenticate } from '../../src/sts/authenticate.js';
import type { AuthenticateContext } from '../../src/sts/authenticate.js';
import { StsError } from '../../src/sts/errors.js';
import type { KnownCredentials } from '../../src/sts/identity-store.js';
import type { SignedRequest } from '../../src/sts/sigv4-parse.js';
import { sign, stsRequest } from './sign.js';
import type { Keys } from './sign.js';

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const USER = { accessKeyId: 'AKIAUSER000000000001', secretAccessKey: 'user-secret' };
const SESSION = { accessKeyId: 'ASIASESSION000000001', secretAccessKey: 'session-secret', sessionToken: 'tok+/=' };
const KNOWN: Record<string, KnownCredentials> = {
  [USER.accessKeyId]: {
    secretAccessKey: USER.secretAccessKey,
    principal: { arn: 'arn:aws:iam::123456789012:user/u', userId: 'AIDA', accountId: '123456789012', issued: false },
  },
  [SESSION.accessKeyId]: {
    secretAccessKey: SESSION.secretAccessKey,
    sessionToken: SESSION.sessionToken,
    expiresAt: NOW + 60_000,
    principal: { arn: 'arn:aws:sts::123456789012:assumed-role/r/s', userId: 'AROA:s', accountId: '123456789012', issued: true },
  },
};

function context(now = NOW): AuthenticateContext {
  return { now, find: (key) => KNOWN[key] };
}

async function signed(keys: Keys, options: { region?: string; service?: string; date?: Date } = {}): Promise<SignedRequest> {
  const raw = await sign(stsRequest('http://127.0.0.1:4566', { Action: 'GetCallerIdentity', Version: '2011-06-15' }), keys, {
    date: new Date(NOW),
    ...options,
  });
  const headers = Object.fromEntries(Object.entries(raw.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method: raw.method, path: raw.path, query: '', headers, body: raw.body ?? '' };
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof StsError) return err.code;
    throw err;
  }
  return 'ok';
}

test('base and session credentials authenticate to their principal, in any region', async (t) => {
  t.like(authenticate(await signed(USER), context()), {
    accessKeyId: USER.accessKeyId,
    region: 'us-east-1',
    principal: { arn: 'arn:aws:iam::123456789012:user/u' },
  });
  t.like(authenticate(await signed(SESSION, { region: 'eu-central-1' }), context()), {
    region: 'eu-central-1',
    principal: { issued: true },
  });
});

test('an unknown key, or a token that does not belong with the key, is InvalidClientTokenId', async (t) => {
  t.is(code(() => authenticate({ method: 'POST', path: '/', query: '', headers: {}, body: '' }, context())), 'MissingAuthenticationToken');
  const unknown = await signed({ ...USER, accessKeyId: 'AKIAUNKNOWN000000000' });
  t.is(code(() => authenticate(unknown, context())), 'InvalidClientTokenId');
  const noToken = await signed({ accessKeyId: SESSION.accessKeyId, secretAccessKey: SESSION.secretAccessKey });
  t.is(code(() => authenticate(noToken, context())), 'InvalidClientTokenId');
  const wrongToken = await signed({ ...SESSION, sessionToken: 'other' });
  t.is(code(() => authenticate(wrongToken, context())), 'InvalidClientTokenId');
  const tokenOnUserKey = await signed({ ...USER, sessionToken: 'tok' });
  t.is(code(() => authenticate(tokenOnUserKey, context())), 'InvalidClientTokenId');
});

test('a wrong secret, a wrong service or a time outside the window is SignatureDoesNotMatch', async (t) => {
  const good = await signed(USER);
  const wrongSecret = await signed({ ...USER, secretAccessKey: 'wrong' });
  const wrongService = await signed(USER, { service: 'iam' });
  t.is(code(() => authenticate(wrongSecret, context())), 'SignatureDoesNotMatch');
  t.is(code(() => authenticate(wrongService, context())), 'SignatureDoesNotMatch');
  t.is(code(() => authenticate(good, context(NOW + 16 * 60_000))), 'SignatureDoesNotMatch');
  t.is(code(() => authenticate(good, context(NOW - 16 * 60_000))), 'SignatureDoesNotMatch');
  t.is(code(() => authenticate(good, context(NOW + 15 * 60_000))), 'ok');
});

test('session credentials are ExpiredToken from their expiry on, whatever the request time', async (t) => {
  const session = await signed(SESSION);
  t.is(code(() => authenticate(session, context(NOW + 59_999))), 'ok');
  t.is(code(() => authenticate(session, context(NOW + 60_000))), 'ExpiredToken');
  // Expiry is read before the signature window is checked, as AWS reads it out of the token.
  t.is(code(() => authenticate(session, context(NOW + 3_600_000))), 'ExpiredToken');
});
