/**
 * moto_server as a second opinion: the same AssumeRole / GetCallerIdentity exchanges against moto and against our
 * emulator must give the SDK the same shapes, and the XML must have the same elements. moto missing is a failure.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AssumeRoleCommandOutput, GetCallerIdentityCommandOutput } from '@aws-sdk/client-sts';
import { MOTO_ACCOUNT_ID, startMoto, startStsEmulator } from '../../src/sts/index.js';
import { send, sign, stsRequest } from './sign.js';
import type { Keys } from './sign.js';

const NODE = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const ROLE = `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/demo-role`;
const ASSUME = {
  RoleArn: ROLE,
  RoleSessionName: 'demo@app',
  DurationSeconds: 900,
  ExternalId: 'ext-1',
  Tags: [{ Key: 'team', Value: 'payments' }],
};

interface Exchange {
  readonly assumed: AssumeRoleCommandOutput;
  readonly identity: GetCallerIdentityCommandOutput;
  readonly assumeXml: string;
  readonly identityXml: string;
}

function client(endpoint: string, keys: Keys): STSClient {
  return new STSClient({ region: 'us-east-1', endpoint, credentials: keys, maxAttempts: 1 });
}

/** The same exchange, through the SDK and raw, against one endpoint. */
async function exchange(endpoint: string): Promise<Exchange> {
  const assumed = await client(endpoint, NODE).send(new AssumeRoleCommand(ASSUME));
  const c = assumed.Credentials!;
  const issued = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
  const identity = await client(endpoint, issued).send(new GetCallerIdentityCommand({}));
  const form = {
    Action: 'AssumeRole',
    Version: '2011-06-15',
    RoleArn: ROLE,
    RoleSessionName: 'demo@app',
    ExternalId: 'ext-1',
    'Tags.member.1.Key': 'team',
    'Tags.member.1.Value': 'payments',
  };
  const assumeXml = (await send(await sign(stsRequest(endpoint, form), NODE))).body;
  const identityXml = (await send(await sign(stsRequest(endpoint, { Action: 'GetCallerIdentity', Version: '2011-06-15' }), issued))).body;
  return { assumed, identity, assumeXml, identityXml };
}

/** Element paths of an XML document (`A/B/C`), sorted: structure without text or order. */
function elementPaths(xml: string): string[] {
  const paths = new Set<string>();
  const stack: string[] = [];
  for (const m of xml.matchAll(/<(\/?)([A-Za-z][\w.-]*)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m as unknown as [string, string, string, string];
    if (closing) stack.pop();
    else {
      stack.push(name);
      paths.add(stack.join('/'));
      if (selfClosing) stack.pop();
    }
  }
  return [...paths].sort();
}

/** What the SDK hands our callers, with the values replaced by their shapes. */
function shape(e: Exchange): unknown {
  const c = e.assumed.Credentials!;
  return {
    accessKeyId: /^ASIA[A-Z0-9]{16}$/.test(c.AccessKeyId!),
    secretLength: c.SecretAccessKey!.length,
    sessionToken: c.SessionToken!.length > 100,
    expiration: c.Expiration instanceof Date && !Number.isNaN(c.Expiration.getTime()),
    assumedArn: e.assumed.AssumedRoleUser!.Arn,
    assumedRoleId: /^AROA[A-Z0-9]+:demo@app$/.test(e.assumed.AssumedRoleUser!.AssumedRoleId!),
    packedPolicySize: typeof e.assumed.PackedPolicySize,
    outputKeys: Object.keys(e.assumed).filter((k) => k !== '$metadata').sort(),
    requestId: typeof e.assumed.$metadata.requestId,
    identity: { arn: e.identity.Arn, account: e.identity.Account, userId: /^AROA[A-Z0-9]+:demo@app$/.test(e.identity.UserId!) },
    identityKeys: Object.keys(e.identity).filter((k) => k !== '$metadata').sort(),
  };
}

async function both(t: ExecutionContext): Promise<{ moto: Exchange; ours: Exchange }> {
  const moto = await startMoto();
  t.teardown(() => moto.close());
  const sts = await startStsEmulator({ baseCredentials: [{ ...NODE, arn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:user/moto` }] });
  t.teardown(() => sts.close());
  return { moto: await exchange(moto.endpoint), ours: await exchange(sts.endpoint) };
}

test('moto and the emulator give the SDK the same AssumeRole and GetCallerIdentity shapes', async (t) => {
  const { moto, ours } = await both(t);
  t.deepEqual(shape(ours), shape(moto));
  t.like(shape(ours), {
    assumedArn: `arn:aws:sts::${MOTO_ACCOUNT_ID}:assumed-role/demo-role/demo@app`,
    secretLength: 40,
    identity: { arn: `arn:aws:sts::${MOTO_ACCOUNT_ID}:assumed-role/demo-role/demo@app`, account: MOTO_ACCOUNT_ID },
  });
  // Both count from the request's own clock; allow for the seconds between the two exchanges.
  const skew = Math.abs(ours.assumed.Credentials!.Expiration!.getTime() - moto.assumed.Credentials!.Expiration!.getTime());
  t.true(skew < 60_000, `expirations differ by ${skew} ms`);
});

test('moto and the emulator answer with the same XML elements', async (t) => {
  const { moto, ours } = await both(t);
  t.deepEqual(elementPaths(ours.assumeXml), elementPaths(moto.assumeXml));
  t.true(elementPaths(ours.assumeXml).includes('AssumeRoleResponse/AssumeRoleResult/Credentials/SessionToken'));
  t.deepEqual(elementPaths(ours.identityXml), elementPaths(moto.identityXml));
  t.true(ours.assumeXml.startsWith('<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'));
  t.true(moto.assumeXml.startsWith('<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'));
});

test('startMoto fails with a clear message when moto_server is not installed', async (t) => {
  await t.throwsAsync(startMoto({ command: 'moto_server_that_does_not_exist' }), {
    message: /moto_server_that_does_not_exist is not installed or not on PATH/,
  });
});
