import test from 'ava';
import { assertIsolatedNetwork, startStack, type Stack } from '@iam4kube/testkit';
import { imds } from '../support/imds-client.js';
import { run } from '../support/run.js';
import { clientEnv } from '../support/real-clients.js';

// Placement is the caller's node's (manifests/examples: pods app and plain run on demo-node, labelled us-east-1a).
let stack: Stack;

test.before(async () => {
  assertIsolatedNetwork();
  // An unknown caller waits for the watch up to --wait-timeout before its 404: keep that short here.
  stack = await startStack({ sts: 'emulator', serverArgs: ['--wait-timeout=1s'] });
});
test.after.always(async () => {
  await stack?.stop();
});

test.serial('availability zone, region and the identity document are those of the caller\'s node', async (t) => {
  for (const path of ['/latest/meta-data/placement/availability-zone', '/latest/meta-data/placement/availability-zone/']) {
    const res = await imds(stack.metadataUrl, path);
    t.is(res.status, 200, path);
    t.is(res.body, 'us-east-1a');
  }
  t.is((await imds(stack.metadataUrl, '/latest/meta-data/placement/region')).body, 'us-east-1');
  const doc = await imds(stack.metadataUrl, '/latest/dynamic/instance-identity/document', { from: '127.0.0.2' });
  t.deepEqual(JSON.parse(doc.body), { availabilityZone: 'us-east-1a', region: 'us-east-1' });
  t.is((await imds(stack.metadataUrl, '/latest/meta-data/placement/region', { from: '127.0.0.9' })).status, 404, 'unknown caller');
});

// botocore's own region fetcher (what its IMDS region provider uses): `placement/availability-zone/`, minus the letter.
const BOTOCORE_REGION = `
import sys
from botocore.utils import InstanceMetadataRegionFetcher
print(InstanceMetadataRegionFetcher(config={"ec2_metadata_service_endpoint": sys.argv[1]}).retrieve_region())
`;

test.serial('botocore (pyenv) finds the region through the metadata API', async (t) => {
  const env = clientEnv(stack.clientEnv, {});
  const result = await run('python3', ['-c', BOTOCORE_REGION, `${stack.metadataUrl}/`], env);
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout.trim(), 'us-east-1');
});
