/**
 * The emulator against real AWS clients: the AWS CLI v2 and boto3 (Debian's and pyenv's). They run as child
 * processes in this process's network namespace, which must be loopback-only (the test runner's `unshare -n`).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { assertIsolatedNetwork } from '../../src/netns/isolation.js';
import { startStsEmulator } from '../../src/sts/index.js';
import type { StsEmulator } from '../../src/sts/index.js';

const run = promisify(execFile);
const AWS_CLI_V2 = '/usr/bin/aws';
const PYTHONS = [
  ['Debian python3-boto3', '/usr/bin/python3'],
  ['pyenv python3 boto3', 'python3'],
] as const;
const NODE = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  arn: 'arn:aws:iam::123456789012:user/iam4kube-server',
};
const ROLE = 'arn:aws:iam::123456789012:role/demo-role';
const ASSUMED = 'arn:aws:sts::123456789012:assumed-role/demo-role/demo@app';

interface Keys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** A clean environment: no config files, no metadata service, credentials only from these variables. */
function awsEnv(keys: Keys): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_MAX_ATTEMPTS: '1',
    AWS_PAGER: '',
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    ...(keys.sessionToken !== undefined && { AWS_SESSION_TOKEN: keys.sessionToken }),
  };
}

const BOTO = `
import json, os, sys
import boto3, botocore
from botocore.exceptions import ClientError
sts = boto3.client('sts', endpoint_url=os.environ['STS_ENDPOINT'])
out = {'botocore': botocore.__version__}
try:
    if sys.argv[1] == 'assume':
        r = sts.assume_role(RoleArn=sys.argv[2], RoleSessionName='demo@app', ExternalId='ext-1', DurationSeconds=900,
                            Tags=[{'Key': 'team', 'Value': 'payments'}], TransitiveTagKeys=['team'])
        c = r['Credentials']
        out.update(arn=r['AssumedRoleUser']['Arn'], accessKeyId=c['AccessKeyId'], secretAccessKey=c['SecretAccessKey'],
                   sessionToken=c['SessionToken'], expiration=c['Expiration'].isoformat(), packed=r.get('PackedPolicySize'))
    else:
        r = sts.get_caller_identity()
        out.update(arn=r['Arn'], userId=r['UserId'], account=r['Account'])
except ClientError as e:
    out.update(error=e.response['Error']['Code'], status=e.response['ResponseMetadata']['HTTPStatusCode'],
               message=e.response['Error']['Message'])
print(json.dumps(out))
`;

async function boto(python: string, sts: StsEmulator, keys: Keys, ...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(python, ['-c', BOTO, ...args], {
    env: { ...awsEnv(keys), STS_ENDPOINT: sts.endpoint },
    timeout: 60_000,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

async function cli(sts: StsEmulator, keys: Keys, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(AWS_CLI_V2, [...args, '--endpoint-url', sts.endpoint, '--output', 'json'], {
      env: awsEnv(keys),
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function start(t: ExecutionContext): Promise<StsEmulator> {
  assertIsolatedNetwork();
  const sts = await startStsEmulator({ baseCredentials: [NODE], roles: { [ROLE]: { externalId: 'ext-1' } } });
  t.teardown(() => sts.close());
  return sts;
}

test('AWS CLI v2: assume-role, then get-caller-identity with the issued credentials prints the assumed-role ARN', async (t) => {
  const sts = await start(t);
  const version = await run(AWS_CLI_V2, ['--version'], { env: awsEnv(NODE) });
  t.regex(version.stdout, /^aws-cli\/2\./);
  const assumed = await cli(sts, NODE, 'sts', 'assume-role', '--role-arn', ROLE, '--role-session-name', 'demo@app', '--external-id', 'ext-1');
  t.is(assumed.code, 0, assumed.stderr);
  const out = JSON.parse(assumed.stdout) as { Credentials: Record<string, string>; AssumedRoleUser: { Arn: string } };
  t.is(out.AssumedRoleUser.Arn, ASSUMED);
  t.regex(out.Credentials['Expiration']!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\+00:00|Z)$/);
  const issued = {
    accessKeyId: out.Credentials['AccessKeyId']!,
    secretAccessKey: out.Credentials['SecretAccessKey']!,
    sessionToken: out.Credentials['SessionToken']!,
  };
  const identity = await cli(sts, issued, 'sts', 'get-caller-identity');
  t.is(identity.code, 0, identity.stderr);
  t.like(JSON.parse(identity.stdout), { Arn: ASSUMED, Account: '123456789012' });
  t.deepEqual(sts.calls.map((c) => [c.action, c.outcome, c.callerArn]), [
    ['AssumeRole', 'ok', NODE.arn],
    ['GetCallerIdentity', 'ok', ASSUMED],
  ]);
});

test('AWS CLI v2: errors come back with their AWS codes', async (t) => {
  const sts = await start(t);
  const wrong = await cli(sts, { ...NODE, secretAccessKey: 'x'.repeat(40) }, 'sts', 'get-caller-identity');
  t.not(wrong.code, 0);
  t.regex(wrong.stderr, /An error occurred \(SignatureDoesNotMatch\) when calling the GetCallerIdentity operation\b/);
  const denied = await cli(sts, NODE, 'sts', 'assume-role', '--role-arn', ROLE, '--role-session-name', 'demo@app');
  t.regex(denied.stderr, /\(AccessDenied\) when calling the AssumeRole operation( \(reached max retries: \d+\))?: User: arn:aws:iam::123456789012:user\/iam4kube-server is not authorized/);
  sts.faults.throttleAll(true);
  const throttled = await cli(sts, NODE, 'sts', 'get-caller-identity');
  t.regex(throttled.stderr, /\(Throttling\) when calling the GetCallerIdentity operation.*Rate exceeded/);
});

for (const [label, python] of PYTHONS) {
  test(`${label}: assume_role with tags and external id, then get_caller_identity from env credentials`, async (t) => {
    const sts = await start(t);
    const assumed = await boto(python, sts, NODE, 'assume', ROLE);
    t.log(`botocore ${String(assumed['botocore'])}`);
    t.is(assumed['error'], undefined, String(assumed['message']));
    t.is(assumed['arn'], ASSUMED);
    t.true(typeof assumed['packed'] === 'number');
    t.regex(String(assumed['expiration']), /\+00:00$/);
    t.like(sts.calls[0]?.params, { ExternalId: 'ext-1', DurationSeconds: 900, Tags: [{ Key: 'team', Value: 'payments' }], TransitiveTagKeys: ['team'] });
    const issued = {
      accessKeyId: String(assumed['accessKeyId']),
      secretAccessKey: String(assumed['secretAccessKey']),
      sessionToken: String(assumed['sessionToken']),
    };
    const identity = await boto(python, sts, issued, 'identity');
    t.like(identity, { arn: ASSUMED, account: '123456789012' });
    t.regex(String(identity['userId']), /^AROA[A-Z0-9]{17}:demo@app$/);
    const wrong = await boto(python, sts, { ...issued, secretAccessKey: 'y'.repeat(40) }, 'identity');
    t.like(wrong, { error: 'SignatureDoesNotMatch', status: 403 });
  });
}
