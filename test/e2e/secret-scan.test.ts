import test from 'ava';
import { assertIsolatedNetwork, startStack } from '@iam4kube/testkit';
import { DEBIAN_PYTHON, awsCli, boto3, clientEnv, jsSdk } from '../support/real-clients.js';
import { imds, imdsToken, writeTokenKeyFile } from '../support/imds-client.js';

// A full run of the real server binary at debug level — real clients fetching credentials with IMDSv1 and v2, the
// failure paths, a shutdown — then every line it wrote is searched for every secret it handled.
test('no secret reaches the log of a full run at debug level', async (t) => {
  assertIsolatedNetwork();
  const key = writeTokenKeyFile();
  const stack = await startStack({ sts: 'emulator', logLevel: 'debug', serverArgs: [`--token-key-file=${key.path}`] });
  t.teardown(() => stack.stop());

  const clients = [awsCli, boto3(DEBIAN_PYTHON, 'Debian python3-boto3'), boto3('python3', 'pyenv botocore 1.43'), jsSdk('instance-metadata')];
  for (const client of clients) {
    for (const extra of [{}, { AWS_EC2_METADATA_V1_DISABLED: 'true' }] as Array<Record<string, string>>) {
      t.regex(await client.callerArn(clientEnv(stack.clientEnv, extra), stack.stsEndpoint), /assumed-role\/demo-role\/demo@app$/, client.name);
    }
  }
  // The other paths through the code: tokens presented and refused, the extended document, a pod without a role,
  // a malformed request, a failing STS.
  const tokens = [await imdsToken(stack.metadataUrl), await imdsToken(stack.metadataUrl, { from: '127.0.0.2' })];
  const withToken = { 'x-aws-ec2-metadata-token': tokens[0]! };
  t.is((await imds(stack.metadataUrl, '/latest/meta-data/iam/security-credentials-extended/demo-role', { headers: withToken })).status, 200);
  t.is((await imds(stack.metadataUrl, '/latest/meta-data/iam/security-credentials/', { from: '127.0.0.2', headers: withToken })).status, 401);
  t.is((await imds(stack.metadataUrl, '/latest/meta-data/iam/security-credentials/', { from: '127.0.0.2' })).status, 404);
  t.is((await imds(stack.metadataUrl, '/latest/meta-data/iam/security-credentials/', { headers: { 'x-aws-ec2-metadata-token': `${tokens[0]!}x` } })).status, 401);
  t.is((await imds(stack.metadataUrl, '/latest/meta-data/iam/security-credentials/', { headers: { ...withToken, 'x-forwarded-for': '1.2.3.4' } })).status, 403);
  const denied = 'arn:aws:iam::123456789012:role/other-role';
  stack.sts!.faults.denyRole(denied);
  stack.kube.patch('serviceaccounts', 'demo', 'app', { metadata: { annotations: { 'iam.amazonaws.com/roleArn': denied } } });
  const deadline = Date.now() + 10_000; // bounded poll: the server is another process
  while ((await imds(stack.metadataUrl, '/latest/meta-data/iam/security-credentials/')).body !== 'other-role') {
    if (Date.now() > deadline) throw new Error('the server never saw the new annotation');
    await new Promise((r) => setTimeout(r, 20));
  }
  t.is((await imds(stack.metadataUrl, '/latest/meta-data/iam/security-credentials/other-role')).status, 503);
  t.is(await stack.server.stop(), 0, 'clean shutdown');

  const issued = stack.sts!.issued;
  t.true(issued.length >= 1, 'the STS issued credentials during the run');
  const secrets = new Map<string, string>([
    ['server secret access key', stack.serverCredentials.secretAccessKey],
    ['token key (file text)', key.key.trim()],
    ['token key (bytes as base64)', Buffer.from(key.key).toString('base64')],
    ['token key (bytes as hex)', Buffer.from(key.key).toString('hex')],
    ...tokens.map((tok, i) => [`IMDSv2 token ${i}`, tok] as [string, string]),
    ...tokens.map((tok, i) => [`IMDSv2 token ${i} signature`, tok.split('.').at(-1)!] as [string, string]),
  ]);
  issued.forEach((c, i) => {
    secrets.set(`issued secret access key ${i}`, c.secretAccessKey);
    secrets.set(`issued session token ${i}`, c.sessionToken);
    // A token cut by a log line limit would still be a leak.
    secrets.set(`issued session token ${i} (first 40 characters)`, c.sessionToken.slice(0, 40));
  });

  const log = stack.server.lines.join('\n');
  const requestLines = stack.server.lines.filter((l) => l.includes('"msg":"request"'));
  t.true(requestLines.length >= 20, `the run was logged at debug (${requestLines.length} request lines)`);
  t.true(requestLines.some((l) => l.includes('"route":"credentials"') && l.includes('"roleArn"') && l.includes('"pod":"demo/app"')));
  t.true(log.includes('credentials fetched'));
  t.true(log.includes('credentials unavailable'), 'the failure path was logged too');
  const leaked = [...secrets].filter(([, value]) => value.length >= 8 && log.includes(value)).map(([name]) => name);
  t.deepEqual(leaked, [], 'secrets found in the log');
  t.log(`${stack.server.lines.length} log lines searched for ${secrets.size} secrets`);
});
