import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { run, type RunResult } from './run.js';

/** A real AWS client that gets credentials from the metadata API and calls STS GetCallerIdentity with them. */
export interface RealClient {
  readonly name: string;
  /** Returns the ARN STS reported, or throws with the client's output. */
  callerArn(env: Readonly<Record<string, string>>, stsEndpoint: string): Promise<string>;
}

/** The Debian AWS CLI v2. (The `aws` first on PATH may be a pyenv AWS CLI v1: never used here.) */
export const AWS_CLI_V2 = '/usr/bin/aws';
export const DEBIAN_PYTHON = '/usr/bin/python3';

function parseArn(result: RunResult, name: string): string {
  if (result.code !== 0) throw new Error(`${name} exited ${result.code}:\n${result.stderr.slice(-2000)}\n${result.stdout.slice(-500)}`);
  const arn = /"?Arn"?\s*[:=]\s*"?([^"\s,}]+)/.exec(result.stdout)?.[1];
  if (!arn) throw new Error(`${name} printed no Arn:\n${result.stdout}`);
  return arn;
}

export const awsCli: RealClient = {
  name: 'AWS CLI v2 (Debian)',
  async callerArn(env, stsEndpoint) {
    if (!existsSync(AWS_CLI_V2)) throw new Error(`${AWS_CLI_V2} is missing: apt-get install awscli (.ci/run does)`);
    const result = await run(AWS_CLI_V2, ['sts', 'get-caller-identity', '--endpoint-url', stsEndpoint, '--output', 'json'], env);
    return parseArn(result, this.name);
  },
};

const BOTO3_SCRIPT = `
import sys, boto3
print("botocore", __import__("botocore").__version__, file=sys.stderr)
sts = boto3.client("sts", endpoint_url=sys.argv[1], region_name="us-east-1")
print('"Arn": "%s"' % sts.get_caller_identity()["Arn"])
`;

export function boto3(python: string, label: string): RealClient {
  return {
    name: `boto3 (${label})`,
    async callerArn(env, stsEndpoint) {
      const result = await run(python, ['-c', BOTO3_SCRIPT, stsEndpoint], env);
      return parseArn(result, this.name);
    },
  };
}

const JS_CLIENT = fileURLToPath(new URL('./js-client.mjs', import.meta.url));

/** @aws-sdk/credential-providers: `fromInstanceMetadata` alone, or the default chain (`fromNodeProviderChain`). */
export function jsSdk(provider: 'instance-metadata' | 'default-chain'): RealClient {
  return {
    name: `JS SDK v3 (${provider})`,
    async callerArn(env, stsEndpoint) {
      const result = await run(process.execPath, [JS_CLIENT, provider, stsEndpoint], env);
      return parseArn(result, this.name);
    },
  };
}

/** A clean environment for a client acting as the demo pod: nothing inherited but PATH and HOME. */
export function clientEnv(base: Readonly<Record<string, string>>, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...base, ...extra };
}
