import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertIsolatedNetwork, startStack, type Replica, type Stack } from '@iam4kube/testkit';
import { imds, imdsToken, metricValue, writeTokenKeyFile } from '../support/imds-client.js';

// Real server processes: replica A (the stack's) and B share a key file; C has another key with IMDSv1 allowed, D
// another key with IMDSv1 disabled. What happens with different keys is what docs/metadata-api.md says.
let stack: Stack;
let b: Replica;
let c: Replica;
let d: Replica;
const LIST = '/latest/meta-data/iam/security-credentials/';

test.before(async () => {
  assertIsolatedNetwork();
  const shared = writeTokenKeyFile();
  stack = await startStack({ sts: 'emulator', serverArgs: [`--token-key-file=${shared.path}`] });
  b = await stack.startReplica();
  c = await stack.startReplica({ serverArgs: [`--token-key-file=${writeTokenKeyFile().path}`] });
  d = await stack.startReplica({ serverArgs: [`--token-key-file=${writeTokenKeyFile().path}`, '--imds-v1=disabled'] });
});
test.after.always(async () => {
  await stack?.stop();
});

test.serial('a token issued by replica A is accepted by replica B (same key file), and the reverse', async (t) => {
  const fromA = await imdsToken(stack.metadataUrl);
  const list = await imds(b.metadataUrl, LIST, { headers: { 'x-aws-ec2-metadata-token': fromA } });
  t.is(list.status, 200);
  t.is(list.body, 'demo-role');
  const doc = await imds(b.metadataUrl, `${LIST}demo-role`, { headers: { 'x-aws-ec2-metadata-token': fromA } });
  t.is(doc.status, 200);
  t.is((JSON.parse(doc.body) as { Code: string }).Code, 'Success');
  const fromB = await imdsToken(b.metadataUrl);
  t.is((await imds(stack.metadataUrl, LIST, { headers: { 'x-aws-ec2-metadata-token': fromB } })).status, 200);
  t.is(await metricValue(b.auxUrl, 'iam4kube_metadata_tokens_total', { result: 'valid' }), 2);
});

test.serial('another key, IMDSv1 allowed: the foreign token is taken as no token (200), counted and reported once', async (t) => {
  const fromA = await imdsToken(stack.metadataUrl);
  for (let i = 0; i < 3; i++) {
    const res = await imds(c.metadataUrl, LIST, { headers: { 'x-aws-ec2-metadata-token': fromA } });
    t.is(res.status, 200);
    t.is(res.body, 'demo-role');
  }
  t.is(await metricValue(c.auxUrl, 'iam4kube_metadata_tokens_total', { result: 'foreign' }), 3);
  t.is(c.server.lines.filter((l) => l.includes('do not share --token-key-file')).length, 1);
});

test.serial('another key, IMDSv1 disabled: the foreign token is 401; its own token works; no token is 401', async (t) => {
  const fromA = await imdsToken(stack.metadataUrl);
  t.is((await imds(d.metadataUrl, LIST, { headers: { 'x-aws-ec2-metadata-token': fromA } })).status, 401);
  t.is((await imds(d.metadataUrl, LIST)).status, 401);
  const own = await imdsToken(d.metadataUrl);
  t.is((await imds(d.metadataUrl, LIST, { headers: { 'x-aws-ec2-metadata-token': own } })).status, 200);
  t.is((await imds(d.metadataUrl, '/latest/user-data')).status, 404, 'unknown paths stay 404');
});

test.serial('a token is bound to the caller IP on every replica', async (t) => {
  const fromApp = await imdsToken(stack.metadataUrl, { from: '127.0.0.1' });
  const res = await imds(b.metadataUrl, LIST, { from: '127.0.0.2', headers: { 'x-aws-ec2-metadata-token': fromApp } });
  t.is(res.status, 401);
});

test.serial('--imds-v1=disabled without --token-key-file is refused at start, with one line and exit code 2', async (t) => {
  const failed = await t.throwsAsync(stack.startReplica({ serverArgs: ['--imds-v1=disabled', '--token-key-file='] }));
  t.regex(failed.message, /exited with code 2/);
  t.regex(failed.message, /--imds-v1=disabled needs --token-key-file/);
});

test.serial('a replica whose caches cannot sync answers the token PUT at once, and waits (bounded) for the rest', async (t) => {
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'iam4kube-dead-api-')), 'kubeconfig');
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n');
  const stuck = await stack.startReplica({ noWait: true, serverArgs: [`--kubeconfig=${kubeconfig}`, '--wait-timeout=1s'] });
  t.false((await fetch(`${stuck.auxUrl}/readyz`)).ok, 'not ready: the caches never sync');
  const started = Date.now();
  const token = await imdsToken(stuck.metadataUrl);
  t.true(Date.now() - started < 500, 'the PUT does not wait for the caches');
  const list = await imds(stuck.metadataUrl, LIST, { headers: { 'x-aws-ec2-metadata-token': token } });
  t.is(list.status, 404, 'the caller is unknown once the wait deadline passes');
  t.true(Date.now() - started >= 1000);
});
