import test from 'ava';
import { randomBytes } from 'node:crypto';
import { createTokenSigner, parseTokenTtl } from '../../src/metadata/imds-token.js';

const NOW = Date.UTC(2026, 0, 1, 0, 0, 0, 400);

test('a token is valid for its caller until its TTL (rounded up) plus the skew tolerance', (t) => {
  const signer = createTokenSigner({ skewToleranceMs: 5000 });
  const token = signer.issue('10.0.0.5', 60, NOW);
  t.is(signer.verify(token, '10.0.0.5', NOW), 'valid');
  t.is(signer.verify(token, '10.0.0.5', NOW + 60_000), 'valid');
  t.is(signer.verify(token, '10.0.0.5', NOW + 65_000), 'valid', 'expiry rounded up to the second (…:01:01), plus 5 s');
  t.is(signer.verify(token, '10.0.0.5', NOW + 65_600), 'expired');
  t.is(signer.verify(token, '10.0.0.6', NOW), 'invalid', 'bound to the caller IP');
});

test('validUntil: for a token valid now, the first moment verify() calls it expired; otherwise undefined', (t) => {
  const signer = createTokenSigner({ skewToleranceMs: 5000 });
  const token = signer.issue('10.0.0.5', 60, NOW);
  const until = signer.validUntil(token, '10.0.0.5', NOW);
  t.is(until, Date.UTC(2026, 0, 1, 0, 1, 1) + 5000, 'expiry rounded up to the second, plus the skew');
  t.is(signer.verify(token, '10.0.0.5', until! - 1), 'valid');
  t.is(signer.verify(token, '10.0.0.5', until!), 'expired');
  t.is(signer.validUntil(token, '10.0.0.5', until!), undefined, 'expired');
  t.is(signer.validUntil(token, '10.0.0.6', NOW), undefined, 'another caller');
  t.is(signer.validUntil(`${token.slice(0, -2)}xx`, '10.0.0.5', NOW), undefined, 'damaged');
  t.is(createTokenSigner().validUntil(token, '10.0.0.5', NOW), undefined, 'another key');
  // Another valid token of the same caller in between: each still has its own expiry.
  const later = signer.issue('10.0.0.5', 120, NOW);
  t.is(signer.validUntil(later, '10.0.0.5', NOW), Date.UTC(2026, 0, 1, 0, 2, 1) + 5000);
  t.is(signer.validUntil(token, '10.0.0.5', NOW), until);
});

test('shared key: tokens verify across signers; another key: foreign, not invalid', (t) => {
  const key = randomBytes(32);
  const a = createTokenSigner({ key });
  const b = createTokenSigner({ key });
  const other = createTokenSigner();
  t.is(a.keyId, b.keyId);
  t.not(a.keyId, other.keyId);
  const token = a.issue('10.0.0.5', 21600, NOW);
  t.is(b.verify(token, '10.0.0.5', NOW), 'valid');
  t.is(other.verify(token, '10.0.0.5', NOW), 'foreign');
});

test('forged and damaged tokens are invalid', (t) => {
  const signer = createTokenSigner();
  const token = signer.issue('10.0.0.5', 60, NOW);
  const [prefix, kid, expires, sig] = token.split('.');
  t.is(signer.verify(`${prefix}.${kid}.${Number(expires) + 100}.${sig}`, '10.0.0.5', NOW), 'invalid');
  t.is(signer.verify(`${prefix}.${kid}.${expires}.${'A'.repeat(43)}`, '10.0.0.5', NOW), 'invalid');
  t.is(signer.verify(token + 'x', '10.0.0.5', NOW), 'invalid');
  t.is(signer.verify('', '10.0.0.5', NOW), 'invalid');
  t.is(signer.verify('a'.repeat(100_000), '10.0.0.5', NOW), 'invalid');
  t.false(token.includes('10.0.0.5'), 'the IP is bound in, not written out');
});

test('keyId does not reveal the key', (t) => {
  const key = Buffer.from('0123456789abcdef0123456789abcdef');
  const signer = createTokenSigner({ key });
  t.regex(signer.keyId, /^[A-Za-z0-9_-]{11}$/);
  t.false(key.toString('base64url').includes(signer.keyId));
});

test('TTL header: integers 1..21600 only', (t) => {
  t.is(parseTokenTtl('1'), 1);
  t.is(parseTokenTtl(' 21600 '), 21600);
  for (const bad of [undefined, '', '0', '21601', '-5', '1.0', '1e2', 'x', '123456']) t.is(parseTokenTtl(bad), undefined, String(bad));
});

test('a remembered token gets the verdict a fresh check gives, at every moment and for every caller', (t) => {
  const key = randomBytes(32);
  // `fresh` never remembers anything for long (a cache of one, filled by other tokens between checks).
  const cached = createTokenSigner({ key, skewToleranceMs: 5000 });
  const fresh = createTokenSigner({ key, skewToleranceMs: 5000, cacheSize: 1 });
  const token = cached.issue('10.0.0.5', 60, NOW);
  const other = fresh.issue('10.0.0.9', 60, NOW);
  const foreign = createTokenSigner().issue('10.0.0.5', 60, NOW);
  const moments = [NOW, NOW + 30_000, NOW + 65_000, NOW + 65_599, NOW + 65_600, NOW + 66_000, NOW + 10 * 60_000];
  for (const at of moments) {
    for (const ip of ['10.0.0.5', '10.0.0.6']) {
      for (const presented of [token, foreign, `${token.slice(0, -1)}A`]) {
        fresh.verify(other, '10.0.0.9', NOW); // evicts whatever `fresh` remembered
        const want = fresh.verify(presented, ip, at);
        t.is(cached.verify(presented, ip, at), want, `${ip} at +${at - NOW} ms`);
        t.is(cached.verify(presented, ip, at), want, `${ip} at +${at - NOW} ms, asked again`);
      }
    }
  }
  t.is(cached.verify(token, '10.0.0.5', NOW + 65_599), 'valid', 'the clock going back: still valid before the expiry');
});

test('the memory of valid tokens is bounded: the oldest is forgotten, and checked again when it comes back', (t) => {
  const signer = createTokenSigner({ cacheSize: 2 });
  const tokens = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((ip) => [signer.issue(ip, 60, NOW), ip] as const);
  for (let round = 0; round < 3; round++) for (const [token, ip] of tokens) t.is(signer.verify(token, ip, NOW), 'valid');
});

test('two tokens of one caller, used in turn: each keeps its own verdict and expiry', (t) => {
  const signer = createTokenSigner({ skewToleranceMs: 0 });
  const short = signer.issue('10.0.0.5', 10, NOW);
  const long = signer.issue('10.0.0.5', 60, NOW);
  for (let i = 0; i < 3; i++) {
    t.is(signer.verify(short, '10.0.0.5', NOW), 'valid');
    t.is(signer.verify(long, '10.0.0.5', NOW), 'valid');
  }
  t.is(signer.verify(long, '10.0.0.5', NOW + 20_000), 'valid');
  t.is(signer.verify(short, '10.0.0.5', NOW + 20_000), 'expired');
  t.is(signer.verify(long, '10.0.0.5', NOW + 20_000), 'valid', 'the expired one did not take the other with it');
  t.is(signer.verify(long, '10.0.0.6', NOW + 20_000), 'invalid', 'bound to its caller, remembered or not');
});
