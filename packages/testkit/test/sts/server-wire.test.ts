import { connect } from 'node:net';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startStsEmulator } from '../../src/sts/index.js';
import type { StsEmulator } from '../../src/sts/index.js';
import { send, sign, stsRequest } from './sign.js';

const NODE = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  arn: 'arn:aws:iam::123456789012:user/iam4kube-server',
};
const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

async function start(t: ExecutionContext, now = (): number => Date.now()): Promise<StsEmulator> {
  const sts = await startStsEmulator({ now, baseCredentials: [NODE] });
  t.teardown(() => sts.close());
  return sts;
}

function errorXml(type: string, code: string, message: string, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${NS}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${code}</Code>\n` +
    `    <Message>${message}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`
  );
}

test('a successful answer: text/xml, x-amzn-RequestId matching the body, Date from the emulator clock', async (t) => {
  const fixed = Date.UTC(2030, 0, 2, 3, 4, 5);
  const sts = await start(t, () => fixed);
  const req = await sign(stsRequest(sts.endpoint, { Action: 'GetCallerIdentity', Version: '2011-06-15' }), NODE, {
    date: new Date(fixed),
  });
  const res = await send(req);
  t.is(res.status, 200);
  t.is(res.headers['content-type'], 'text/xml');
  t.is(res.headers['date'], 'Wed, 02 Jan 2030 03:04:05 GMT');
  const requestId = res.headers['x-amzn-requestid'] as string;
  t.regex(requestId, /^[0-9a-f-]{36}$/);
  t.is(
    res.body,
    `<GetCallerIdentityResponse xmlns="${NS}">\n  <GetCallerIdentityResult>\n    <Arn>${NODE.arn}</Arn>\n` +
      `    <UserId>${/<UserId>(.*)<\/UserId>/.exec(res.body)?.[1]}</UserId>\n    <Account>123456789012</Account>\n` +
      `  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n` +
      '</GetCallerIdentityResponse>\n',
  );
});

test('no Authorization header is MissingAuthenticationToken (403) in AWS error shape', async (t) => {
  const sts = await start(t);
  const res = await send(stsRequest(sts.endpoint, { Action: 'GetCallerIdentity', Version: '2011-06-15' }));
  t.is(res.status, 403);
  t.is(res.body, errorXml('Sender', 'MissingAuthenticationToken', 'Request is missing Authentication Token', res.headers['x-amzn-requestid'] as string));
  t.deepEqual(sts.calls.map((c) => [c.action, c.errorCode, c.status]), [['GetCallerIdentity', 'MissingAuthenticationToken', 403]]);
});

test('an Authorization header without its parts is IncompleteSignature (400)', async (t) => {
  const sts = await start(t);
  const req = stsRequest(sts.endpoint, { Action: 'GetCallerIdentity', Version: '2011-06-15' });
  const res = await send({ ...req, headers: { ...req.headers, authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20300102/us-east-1/sts/aws4_request' } });
  t.is(res.status, 400);
  t.regex(res.body, /<Code>IncompleteSignature<\/Code>/);
  t.regex(res.body, /Authorization header requires 'Signature' parameter\. Authorization header requires 'SignedHeaders' parameter\./);
});

test('unknown actions and versions are InvalidAction (400) with AWS wording', async (t) => {
  const sts = await start(t);
  for (const [form, message] of [
    [{ Action: 'GetSessionToken', Version: '2011-06-15' }, 'Could not find operation GetSessionToken for version 2011-06-15'],
    [{ Action: 'GetCallerIdentity', Version: '2010-05-08' }, 'Could not find operation GetCallerIdentity for version 2010-05-08'],
    [{ Action: 'GetCallerIdentity' }, 'Could not find operation GetCallerIdentity for version NO_VERSION_SPECIFIED'],
  ] as const) {
    const res = await send(await sign(stsRequest(sts.endpoint, form), NODE));
    t.is(res.status, 400);
    t.is(res.body, errorXml('Sender', 'InvalidAction', message, res.headers['x-amzn-requestid'] as string));
  }
});

test('a body changed after signing is SignatureDoesNotMatch, even with the content hash header left as signed', async (t) => {
  const sts = await start(t);
  const req = await sign(stsRequest(sts.endpoint, { Action: 'GetCallerIdentity', Version: '2011-06-15' }), NODE);
  t.truthy(req.headers['x-amz-content-sha256']);
  t.is((await send(req)).status, 200);
  const tampered = await send({ ...req, body: `${req.body}&Extra=1` });
  t.is(tampered.status, 403);
  t.regex(tampered.body, /<Code>SignatureDoesNotMatch<\/Code>/);
});

test('a signed GET with the parameters in the query string works', async (t) => {
  const sts = await start(t);
  const url = new URL(sts.endpoint);
  const req = await sign(
    {
      method: 'GET',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: url.host },
    },
    NODE,
    { applyChecksum: false },
  );
  const res = await send(req);
  t.is(res.status, 200, res.body);
  t.regex(res.body, new RegExp(`<Arn>${NODE.arn}</Arn>`));
});

test('outage 503 answers ServiceUnavailable; outage reset drops the connection; false restores service', async (t) => {
  const sts = await start(t);
  const req = await sign(stsRequest(sts.endpoint, { Action: 'GetCallerIdentity', Version: '2011-06-15' }), NODE);
  sts.faults.outage('503');
  const unavailable = await send(req);
  t.is(unavailable.status, 503);
  t.regex(unavailable.body, /<Type>Receiver<\/Type>\n\s*<Code>ServiceUnavailable<\/Code>/);
  sts.faults.outage('reset');
  await t.throwsAsync(send(req), { code: 'ECONNRESET' });
  sts.faults.outage(false);
  t.is((await send(req)).status, 200);
  t.deepEqual(sts.calls.map((c) => c.outcome), ['error', 'dropped', 'ok']);
});

test('outage hang never answers; the SDK times out and close() releases the connection', async (t) => {
  const sts = await start(t);
  sts.faults.outage('hang');
  const client = new STSClient({
    region: 'us-east-1',
    endpoint: sts.endpoint,
    credentials: NODE,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ requestTimeout: 300, throwOnRequestTimeout: true }),
  });
  await t.throwsAsync(client.send(new GetCallerIdentityCommand({})), { name: 'TimeoutError' });
  await sts.waitForCalls('GetCallerIdentity', 1, (c) => c.outcome === 'dropped');
  // A raw connection left hanging is closed by close().
  const socket = connect(sts.port, '127.0.0.1');
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\n\r\n');
  await sts.waitForCalls('', 1, (c) => c.outcome === 'dropped');
  t.is(sts.inFlight, 1); // the SDK's own connection was closed when it timed out
  await sts.close();
  await closed;
  t.pass();
});

test('latency delays answers; close() cancels a pending delay and drops the request', async (t) => {
  const sts = await start(t);
  sts.faults.setLatency(200);
  const req = await sign(stsRequest(sts.endpoint, { Action: 'GetCallerIdentity', Version: '2011-06-15' }), NODE);
  const started = Date.now();
  t.is((await send(req)).status, 200);
  t.true(Date.now() - started >= 190);
  sts.faults.setLatency(60_000);
  const pending = send(req);
  await sts.waitForInFlight(1);
  t.is(sts.inFlight, 1);
  await sts.close();
  await t.throwsAsync(pending, { code: 'ECONNRESET' });
  // The held request was dropped at close, not answered 60 s later.
  t.deepEqual(sts.calls.map((c) => c.outcome), ['ok', 'dropped']);
  t.is(sts.inFlight, 0);
});
