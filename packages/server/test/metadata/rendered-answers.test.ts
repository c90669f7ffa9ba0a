import test from 'ava';
import { createRenderedAnswers } from '../../src/metadata/rendered-answers.js';
import { credentialsDocument } from '../../src/metadata/credentials-document.js';
import { CREDENTIALS, ROLE_ARN } from './harness.js';

test('a credentials document is rendered once per issued credentials, with its Content-Length', (t) => {
  const rendered = createRenderedAnswers();
  const first = rendered.credentials(CREDENTIALS, undefined);
  t.is(first.body, credentialsDocument(CREDENTIALS), 'ASCII: the text itself, written as latin1 with the head');
  t.deepEqual(first.headers, ['Content-Type', 'application/json; charset=utf-8', 'Content-Length', String(first.body.length)]);
  t.is(rendered.credentials(CREDENTIALS, undefined), first, 'the same answer object: not rendered again');
  const renewed = { ...CREDENTIALS, accessKeyId: 'ASIARENEWEDRENEWED01' };
  const second = rendered.credentials(renewed, undefined);
  t.not(second, first);
  t.true(second.body.toString().includes('ASIARENEWEDRENEWED01'), 'new credentials, a new document');
});

test('the extended document carries the account of the role, kept apart from the classic one', (t) => {
  const rendered = createRenderedAnswers();
  const classic = rendered.credentials(CREDENTIALS, undefined);
  const extended = rendered.credentials(CREDENTIALS, ROLE_ARN);
  t.is(extended.body.toString(), credentialsDocument(CREDENTIALS, '123456789012'));
  t.is(rendered.credentials(CREDENTIALS, ROLE_ARN), extended);
  t.is(rendered.credentials(CREDENTIALS, undefined), classic);
  const elsewhere = rendered.credentials(CREDENTIALS, 'arn:aws:iam::210987654321:role/x');
  t.is(JSON.parse(elsewhere.body.toString()).AccountId, '210987654321', 'another account: rendered for it');
  t.is(JSON.parse(rendered.credentials(CREDENTIALS, 'not-an-arn').body.toString()).AccountId, undefined);
});

test('texts are rendered once, with their byte length; outside ASCII as their UTF-8 bytes', (t) => {
  const rendered = createRenderedAnswers();
  const a = rendered.text('demo-rôle');
  t.deepEqual(a.body, Buffer.from('demo-rôle', 'utf8'), 'not ASCII: the UTF-8 bytes (latin1 would write other bytes)');
  t.deepEqual(a.headers, ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', '10']);
  t.is(rendered.text('demo-rôle'), a);
  t.is(rendered.text('demo-role').body, 'demo-role');
  t.deepEqual(rendered.text('demo-role').headers, ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', '9']);
  // Each kind of character outside ASCII (2 and 3 bytes, a surrogate pair, a lone surrogate, the first one: U+0080)
  // and the last ASCII one (U+007F).
  for (const text of ['é', '\u0080', '€', '😀', '\ud800', 'x\u007f']) {
    const answer = rendered.text(text);
    const bytes = Buffer.from(text, 'utf8');
    t.is(answer.headers[3], String(bytes.length), text);
    t.deepEqual(Buffer.isBuffer(answer.body) ? answer.body : Buffer.from(answer.body, 'latin1'), bytes, `${JSON.stringify(text)}: the bytes written are its UTF-8 bytes`);
  }
});
