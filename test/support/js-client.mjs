// A real JS SDK v3 client: gets credentials from the metadata API, then calls STS GetCallerIdentity.
// Usage: node js-client.mjs instance-metadata|default-chain <sts endpoint>
import { fromInstanceMetadata, fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';

const [provider, endpoint] = process.argv.slice(2);
const credentials = provider === 'instance-metadata' ? fromInstanceMetadata({ timeout: 5000, maxRetries: 1 }) : fromNodeProviderChain();
const sts = new STSClient({ region: 'us-east-1', endpoint, credentials });
const out = await sts.send(new GetCallerIdentityCommand({}));
console.log(JSON.stringify({ Arn: out.Arn }));
