import test from 'ava';
import { assertIsolatedNetwork, startStack, type Stack } from '@iam4kube/testkit';
import { DEBIAN_PYTHON, awsCli, boto3, clientEnv, jsSdk, type RealClient } from './real-clients.js';

const EXPECTED = 'arn:aws:sts::123456789012:assumed-role/demo-role/demo@app';

async function tokenRequests(stack: Stack): Promise<number> {
  const text = await (await fetch(`${stack.auxUrl}/metrics`)).text();
  const m = /iam4kube_metadata_requests_total\{route="token",status="200"\} (\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

/**
 * Registers the real-client matrix against one STS backend: every client obtains credentials from the running stack
 * and calls STS GetCallerIdentity with them, once with IMDSv1 allowed and once with AWS_EC2_METADATA_V1_DISABLED.
 */
export function realClientSuite(sts: 'emulator' | 'moto'): void {
  let stack: Stack;
  test.before(async () => {
    assertIsolatedNetwork();
    stack = await startStack({ sts });
  });
  test.after.always(async () => {
    await stack?.stop();
  });

  const clients: RealClient[] = [awsCli, boto3(DEBIAN_PYTHON, 'Debian python3-boto3'), boto3('python3', 'pyenv botocore 1.43'), jsSdk('instance-metadata'), jsSdk('default-chain')];
  for (const client of clients) {
    for (const v1Disabled of [false, true]) {
      test.serial(`${sts}: ${client.name}${v1Disabled ? ' with IMDSv1 disabled' : ''} is demo@app in demo-role`, async (t) => {
        const before = await tokenRequests(stack);
        const env = clientEnv(stack.clientEnv, v1Disabled ? { AWS_EC2_METADATA_V1_DISABLED: 'true' } : {});
        const arn = await client.callerArn(env, stack.stsEndpoint);
        t.is(arn, EXPECTED);
        if (v1Disabled) t.true((await tokenRequests(stack)) > before, 'an IMDSv2 token was requested');
      });
    }
  }
}
