import test from 'ava';
import { request } from 'node:http';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { MOTO_ACCOUNT_ID, assertIsolatedNetwork, repoRoot, startStack, type Stack } from '@iam4kube/testkit';
import { awsCli, clientEnv } from '../support/real-clients.js';

// The credentials engine end to end with the real server binary: what it sends to STS (session name, external ID,
// and with --session-tags / --source-identity the tags and SourceIdentity), and that the credentials it serves are
// the session STS issued (GetCallerIdentity says assumed-role/<role>/<namespace>@<serviceaccount>).
//
// moto records the session name and the external ID of each AssumeRole (GET /moto-api/data.json) but drops the tags
// and SourceIdentity, so those two are checked against our STS emulator's call log, with the same server flags.

const SERVER_ARGS = ['--session-tags', '--cluster-name=e2e-cluster', '--source-identity'];
const EXT_ROLE = `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/ext-role`;
const EXTRA = `
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ext
  namespace: demo
  annotations:
    iam.amazonaws.com/roleArn: ${EXT_ROLE}
    iam.amazonaws.com/roleExternalId: ext-4f1c9
---
apiVersion: v1
kind: Pod
metadata:
  name: ext
  namespace: demo
  annotations:
    demo.iam4kube.io/pod-ip: 127.0.0.4
spec:
  serviceAccountName: ext
  nodeName: demo-node
  containers: [{ name: app, image: example }]
`;

let manifestsDir: string;
const stacks: Stack[] = [];

test.before(async () => {
  assertIsolatedNetwork();
  manifestsDir = await mkdtemp(join(tmpdir(), 'iam4kube-credentials-e2e-'));
  await copyFile(join(repoRoot(), 'manifests/examples/demo.yaml'), join(manifestsDir, 'demo.yaml'));
  await writeFile(join(manifestsDir, 'ext.yaml'), EXTRA);
});
test.after.always(async () => {
  for (const stack of stacks) await stack.stop();
  if (manifestsDir) await rm(manifestsDir, { recursive: true, force: true });
});

async function start(sts: 'moto' | 'emulator'): Promise<Stack> {
  const stack = await startStack({ sts, manifestsDir, serverArgs: SERVER_ARGS });
  stacks.push(stack);
  return stack;
}

/** The EC2 credentials document, fetched as the pod at `ip` (the server identifies callers by source address). */
function credentialsAs(stack: Stack, ip: string, role: string): Promise<{ AccessKeyId: string; SecretAccessKey: string; Token: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${stack.metadataUrl}/latest/meta-data/iam/security-credentials/${role}`);
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, localAddress: ip }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`${res.statusCode}: ${body}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

async function callerArn(stack: Stack, ip: string, role: string): Promise<string> {
  const c = await credentialsAs(stack, ip, role);
  const client = new STSClient({
    region: 'us-east-1',
    endpoint: stack.stsEndpoint,
    credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.Token },
  });
  try {
    return (await client.send(new GetCallerIdentityCommand({}))).Arn!;
  } finally {
    client.destroy();
  }
}

interface MotoAssumedRole {
  role_arn: string;
  session_name: string;
  external_id: string | null;
  access_key_id: string;
}

test.serial('moto: session name and external ID arrive at STS; GetCallerIdentity shows assumed-role/<role>/<ns>@<sa>', async (t) => {
  const stack = await start('moto');
  // The AWS CLI v2 as pod demo/app (127.0.0.1), through the metadata API.
  t.is(await awsCli.callerArn(clientEnv(stack.clientEnv), stack.stsEndpoint), `arn:aws:sts::${MOTO_ACCOUNT_ID}:assumed-role/demo-role/demo@app`);
  // As pod demo/ext (127.0.0.4), whose ServiceAccount carries an external ID.
  t.is(await callerArn(stack, '127.0.0.4', 'ext-role'), `arn:aws:sts::${MOTO_ACCOUNT_ID}:assumed-role/ext-role/demo@ext`);

  const data = (await (await fetch(`${stack.stsEndpoint}/moto-api/data.json`)).json()) as { sts: { AssumedRole: MotoAssumedRole[] } };
  const assumed = data.sts.AssumedRole.map((r) => ({ role: r.role_arn, session: r.session_name, externalId: r.external_id }));
  t.deepEqual(
    assumed.sort((a, b) => a.session.localeCompare(b.session)),
    [
      { role: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/demo-role`, session: 'demo@app', externalId: null },
      { role: EXT_ROLE, session: 'demo@ext', externalId: 'ext-4f1c9' },
    ],
    'one AssumeRole per ServiceAccount (prefetched), with its session name and external ID',
  );
  const served = await credentialsAs(stack, '127.0.0.4', 'ext-role');
  t.is(data.sts.AssumedRole.find((r) => r.session_name === 'demo@ext')!.access_key_id, served.AccessKeyId, 'served what STS issued');
});

test.serial('emulator: with --session-tags and --source-identity, the tags and SourceIdentity arrive at STS', async (t) => {
  const stack = await start('emulator');
  t.is(await callerArn(stack, '127.0.0.4', 'ext-role'), `arn:aws:sts::${MOTO_ACCOUNT_ID}:assumed-role/ext-role/demo@ext`);
  const calls = stack.sts!.calls.filter((c) => c.action === 'AssumeRole' && c.outcome === 'ok');
  t.deepEqual(
    calls.map((c) => c.params).sort((a, b) => a.RoleSessionName!.localeCompare(b.RoleSessionName!)),
    [
      {
        RoleArn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/demo-role`,
        RoleSessionName: 'demo@app',
        DurationSeconds: 3600,
        SourceIdentity: 'demo@app',
        Tags: [
          { Key: 'kubernetes-namespace', Value: 'demo' },
          { Key: 'kubernetes-service-account', Value: 'app' },
          { Key: 'kubernetes-cluster-name', Value: 'e2e-cluster' },
        ],
      },
      {
        RoleArn: EXT_ROLE,
        RoleSessionName: 'demo@ext',
        ExternalId: 'ext-4f1c9',
        DurationSeconds: 3600,
        SourceIdentity: 'demo@ext',
        Tags: [
          { Key: 'kubernetes-namespace', Value: 'demo' },
          { Key: 'kubernetes-service-account', Value: 'ext' },
          { Key: 'kubernetes-cluster-name', Value: 'e2e-cluster' },
        ],
      },
    ],
  );
  const issued = stack.sts!.issued.find((i) => i.roleSessionName === 'demo@ext')!;
  t.is(issued.sourceIdentity, 'demo@ext');
  t.deepEqual(issued.tags.map((tag) => `${tag.key}=${tag.value}`), ['kubernetes-namespace=demo', 'kubernetes-service-account=ext', 'kubernetes-cluster-name=e2e-cluster']);
});
