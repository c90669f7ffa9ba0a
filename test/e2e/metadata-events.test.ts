import test from 'ava';
import { assertIsolatedNetwork, startStack, type Stack } from '@iam4kube/testkit';
import { imds } from '../support/imds-client.js';

// The real binary reports what happens to pods' requests as Kubernetes Events on the pods, deduplicated.
let stack: Stack;

test.before(async () => {
  assertIsolatedNetwork();
  stack = await startStack({ sts: 'emulator' });
});
test.after.always(async () => {
  await stack?.stop();
});

interface CoreEvent {
  involvedObject: { kind: string; name: string; namespace: string; uid: string };
  type: string;
  reason: string;
  message: string;
  count: number;
}

async function events(): Promise<CoreEvent[]> {
  const list = (await (await fetch(`${stack.kube.url}/api/v1/namespaces/demo/events`)).json()) as { items: CoreEvent[] };
  return list.items;
}

/** Bounded poll: the events are written by another process, asynchronously. */
async function eventually(what: string, found: (all: CoreEvent[]) => boolean, timeoutMs = 10_000): Promise<CoreEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await events();
    if (found(all)) return all;
    if (Date.now() > deadline) throw new Error(`no ${what} in ${JSON.stringify(all.map((e) => [e.involvedObject.name, e.reason]))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test.serial('credentials served: one Normal RoleFound Event on the pod, however many requests', async (t) => {
  for (let i = 0; i < 5; i++) t.is((await imds(stack.metadataUrl, '/latest/meta-data/iam/security-credentials/demo-role')).status, 200);
  const all = await eventually('RoleFound', (es) => es.some((e) => e.reason === 'RoleFound'));
  const found = all.filter((e) => e.reason === 'RoleFound');
  t.is(found.length, 1, 'deduplicated');
  t.like(found[0], { type: 'Normal', involvedObject: { kind: 'Pod', name: 'app', namespace: 'demo' } });
  t.regex(found[0]!.message, /arn:aws:iam::123456789012:role\/demo-role \(session demo@app\)/);
});

test.serial('no role: one Warning NoRole Event on the pod that asked', async (t) => {
  for (let i = 0; i < 5; i++) t.is((await imds(stack.metadataUrl, '/latest/meta-data/iam/security-credentials/', { from: '127.0.0.2' })).status, 404);
  const all = await eventually('NoRole', (es) => es.some((e) => e.reason === 'NoRole'));
  const found = all.filter((e) => e.reason === 'NoRole');
  t.is(found.length, 1);
  t.like(found[0], { type: 'Warning', involvedObject: { kind: 'Pod', name: 'plain' } });
  t.regex(found[0]!.message, /ServiceAccount plain has no iam\.amazonaws\.com\/roleArn annotation/);
});
