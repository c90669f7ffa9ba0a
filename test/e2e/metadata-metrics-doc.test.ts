import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertIsolatedNetwork, repoRoot, startStack } from '@iam4kube/testkit';
import { imds } from '../support/imds-client.js';

// docs/metrics.md lists every metric of the server binary: checked against what the real binary exposes.
const doc = readFileSync(join(repoRoot(), 'docs', 'metrics.md'), 'utf8');
const documented = new Set([...doc.matchAll(/`(iam4kube_[a-z0-9_]+)/g)].map((m) => m[1]!));
const GROUPS = ['iam4kube_process_', 'iam4kube_nodejs_'];

test('every metric the server exposes is in docs/metrics.md, and every server metric there exists', async (t) => {
  assertIsolatedNetwork();
  const stack = await startStack({ sts: 'emulator' });
  t.teardown(() => stack.stop());
  await imds(stack.metadataUrl, '/latest/meta-data/iam/security-credentials/demo-role');
  const text = await (await fetch(`${stack.auxUrl}/metrics`)).text();
  const exposed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
  t.true(exposed.size > 20);
  const missing = [...exposed].filter((name) => !documented.has(name) && !GROUPS.some((g) => name.startsWith(g) && doc.includes(`\`${g}*\``)));
  t.deepEqual(missing, [], 'exposed but not documented');
  const serverSection = doc.slice(doc.indexOf('## Server'), doc.indexOf('## ip2service'));
  const listed = [...serverSection.matchAll(/^\| `(iam4kube_[a-z0-9_]+)/gm)].map((m) => m[1]!);
  t.deepEqual(listed.filter((name) => !exposed.has(name)), [], 'documented but not exposed');
  for (const name of listed) {
    if (/_total$/.test(name)) t.regex(text, new RegExp(`# TYPE ${name} counter`), name);
    if (/_seconds$/.test(name) && !/expiry_seconds$/.test(name)) t.regex(text, new RegExp(`# TYPE ${name} histogram`), name);
  }
});

test('the ip2service metrics listed exist in its source', (t) => {
  const source = readFileSync(join(repoRoot(), 'packages', 'ip2service', 'src', 'metrics.ts'), 'utf8');
  const section = doc.slice(doc.indexOf('## ip2service'));
  const listed = [...section.matchAll(/^\| `(iam4kube_[a-z0-9_]+)/gm)].map((m) => m[1]!);
  t.true(listed.length > 0);
  for (const name of listed) t.true(source.includes(`'${name}'`), name);
  for (const m of source.matchAll(/name: '(iam4kube_[a-z0-9_]+)'/g)) t.true(listed.includes(m[1]!), `${m[1]} is not in docs/metrics.md`);
});
