import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ConfigError, createLogger } from '@iam4kube/shared';
import { startKubeApiEmulator } from '@iam4kube/testkit';
import { startOutboundThread } from '../../src/outbound/outbound-thread.js';

const logger = createLogger({ level: 'error', stream: new Writable({ write: (_c, _e, done) => done() }) });

test('the outbound thread lists and watches the API server and reads pods, on its own thread', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'iam4kube-outbound-'));
  const kube = await startKubeApiEmulator();
  t.teardown(async () => {
    await kube.close();
    await rm(dir, { recursive: true, force: true });
  });
  kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } });
  const kubeconfig = join(dir, 'kubeconfig');
  await kube.writeKubeconfig(kubeconfig);
  const thread = await startOutboundThread({ kubeconfig, kubeContext: undefined, stsRegion: 'us-east-1', stsEndpoint: 'http://127.0.0.1:9' }, logger);
  t.true(thread.alive());
  const namespaces = thread.outbound.listWatcher({ path: '/api/v1/namespaces', metadataOnly: true });
  const listed = await namespaces.list(new AbortController().signal);
  t.true(listed.items.some((n) => n.metadata?.name === 'a'));

  const controller = new AbortController();
  const added: string[] = [];
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  const watching = namespaces.watch(listed.resourceVersion, (e) => {
    if (e.type === 'ADDED') added.push(e.object.metadata!.name!);
  }, controller.signal, opened);
  await open;
  kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'b' } });
  while (!added.includes('b')) await new Promise((resolve) => setTimeout(resolve, 10));
  controller.abort();
  await watching;
  t.deepEqual(await thread.outbound.pods.podsWithIp('10.9.9.9', new AbortController().signal), []);
  // STS unreachable: a transient error, classified there, arrives here as one.
  t.like(await t.throwsAsync(thread.outbound.sts.assumeRole({ roleArn: 'arn:aws:iam::123456789012:role/r', sessionName: 'a@b', externalId: undefined, durationSeconds: 900, tags: [], sourceIdentity: undefined })), {
    name: 'CredentialsError',
    permanent: false,
  });
  await thread.stop();
  t.false(thread.alive());
  t.is((await t.throwsAsync(namespaces.list(new AbortController().signal)))?.message, 'the outbound thread was stopped');
});

test('a kubeconfig the thread cannot load fails its start with the configuration error the main thread would give', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'iam4kube-outbound-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
  // The thread loads the kubeconfig (the main thread never loads the Kubernetes client): its error comes back as a
  // ConfigError, which the binary prints as one line with exit code 2 (test/e2e/server-binary.test.ts).
  const err = await t.throwsAsync(startOutboundThread({ kubeconfig, kubeContext: undefined, stsRegion: 'us-east-1', stsEndpoint: undefined }, logger), { instanceOf: ConfigError });
  t.is(err?.message, 'kubeconfig has no current cluster (check current-context)');
});
