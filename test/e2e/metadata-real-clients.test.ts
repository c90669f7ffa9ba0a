import test from 'ava';
import { assertIsolatedNetwork, startStack, startTcpBalancer, type Stack, type TcpBalancer } from '@iam4kube/testkit';
import { DEBIAN_PYTHON, awsCli, boto3, clientEnv, jsSdk, type RealClient } from '../support/real-clients.js';
import { metricValue, writeTokenKeyFile } from '../support/imds-client.js';

// Real AWS clients against two replicas behind a random TCP balancer (like ip2service's DNAT: each connection to a
// random replica), with the server's IMDSv1 allowed and disabled, and each client with and without
// AWS_EC2_METADATA_V1_DISABLED. The replicas share a token key, so a token from one is good on the other.
const EXPECTED = 'arn:aws:sts::123456789012:assumed-role/demo-role/demo@app';

interface Pair {
  readonly lb: TcpBalancer;
  readonly auxUrls: readonly string[];
}

let stack: Stack;
const pairs = new Map<'allowed' | 'disabled', Pair>();

test.before(async () => {
  assertIsolatedNetwork();
  const key = writeTokenKeyFile();
  stack = await startStack({ sts: 'emulator', serverArgs: [`--token-key-file=${key.path}`] });
  for (const policy of ['allowed', 'disabled'] as const) {
    const one = await stack.startReplica({ serverArgs: [`--imds-v1=${policy}`] });
    const two = await stack.startReplica({ serverArgs: [`--imds-v1=${policy}`] });
    const lb = await startTcpBalancer({ backends: [one.server.metadataPort, two.server.metadataPort] });
    pairs.set(policy, { lb, auxUrls: [one.auxUrl, two.auxUrl] });
  }
});
test.after.always(async () => {
  for (const pair of pairs.values()) await pair.lb.close();
  await stack?.stop();
});

const clients: RealClient[] = [awsCli, boto3(DEBIAN_PYTHON, 'Debian python3-boto3'), boto3('python3', 'pyenv botocore 1.43'), jsSdk('instance-metadata'), jsSdk('default-chain')];

for (const policy of ['allowed', 'disabled'] as const) {
  for (const client of clients) {
    for (const clientV1Disabled of [false, true]) {
      test.serial(`server IMDSv1 ${policy}: ${client.name}${clientV1Disabled ? ' with AWS_EC2_METADATA_V1_DISABLED' : ''} gets demo-role through two replicas`, async (t) => {
        const pair = pairs.get(policy)!;
        const env = clientEnv(stack.clientEnv, {
          AWS_EC2_METADATA_SERVICE_ENDPOINT: `${pair.lb.url}/`,
          ...(clientV1Disabled ? { AWS_EC2_METADATA_V1_DISABLED: 'true' } : {}),
        });
        t.is(await client.callerArn(env, stack.stsEndpoint), EXPECTED);
      });
    }
  }
  test.serial(`server IMDSv1 ${policy}: the balancer spread the clients over both replicas, which issued and accepted tokens`, async (t) => {
    const pair = pairs.get(policy)!;
    t.is(pair.lb.handed.size, 2, `connections per replica: ${JSON.stringify([...pair.lb.handed])}`);
    for (const auxUrl of pair.auxUrls) {
      t.true((await metricValue(auxUrl, 'iam4kube_metadata_requests_total', { route: 'credentials', status: '200' })) > 0, auxUrl);
      t.true((await metricValue(auxUrl, 'iam4kube_metadata_tokens_total', { result: 'valid' })) > 0, auxUrl);
      t.is(await metricValue(auxUrl, 'iam4kube_metadata_requests_total', { status: '401' }), 0, `no 401 on ${auxUrl}`);
      t.is(await metricValue(auxUrl, 'iam4kube_metadata_tokens_total', { result: 'invalid' }), 0);
    }
  });
}
