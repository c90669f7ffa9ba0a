import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { repoRoot } from '@iam4kube/testkit';

// What the server's main thread loads: the static imports of the built binary (tsc's output, where type-only imports
// are gone and what is left is what Node loads), followed from main.js through this repository's packages. The
// Kubernetes client and the AWS SDK belong to the outbound thread only (outbound-worker.ts, started by URL, not
// imported): in the main thread the Kubernetes client alone would cost about 27 MiB of heap and 67 MiB of RSS, and
// HTTP clients there slow the metadata port (docs/performance.md). app.ts loads them on demand only for tests that
// inject a KubeConfig or an Assumer.

const root = repoRoot();
const STATIC_IMPORT = /^\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
const OUTBOUND_ONLY = [/^@kubernetes\/client-node$/, /^@aws-sdk\//, /^node-fetch$/];

/** Files of this repository reached from `entry` by static imports, and the other packages they import. */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(STATIC_IMPORT)) {
      const spec = match[1]!;
      if (spec.startsWith('node:')) continue;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else if (spec.startsWith('@iam4kube/')) visit(workspaceEntry(spec));
      else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  visit(entry);
  return { files, packages };
}

/** `@iam4kube/<package>[/<subpath>]` as its package.json exports it. */
function workspaceEntry(spec: string): string {
  const [, name, ...sub] = spec.split('/');
  const dir = join(root, 'packages', name!);
  const exports = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports: Record<string, { default: string }> }).exports;
  const entry = exports[sub.length ? `./${sub.join('/')}` : '.'];
  if (!entry) throw new Error(`${spec} is not exported by packages/${name}/package.json`);
  return join(dir, entry.default);
}

const dist = join(root, 'packages', 'server', 'dist', 'src');

test('the main thread loads neither the Kubernetes client nor the AWS SDK; the outbound thread loads both', (t) => {
  const main = join(dist, 'main.js');
  if (!existsSync(main)) return t.fail(`${main} is missing: build first (npx tsc -b)`);
  const { files, packages } = staticGraph(main);
  t.true(files.has(join(dist, 'app.js')), 'the walk reaches app.js');
  t.false(files.has(join(dist, 'outbound', 'outbound-worker.js')), 'the worker is started by URL, not imported');
  const offending = [...packages].filter((p) => OUTBOUND_ONLY.some((re) => re.test(p)));
  t.deepEqual(offending, [], `imported on the main thread: ${offending.join(', ')}`);

  // The same walk from the worker's entry finds them: the check above can fail.
  const worker = staticGraph(join(dist, 'outbound', 'outbound-worker.js')).packages;
  t.true(worker.has('@kubernetes/client-node'));
  t.true(worker.has('@aws-sdk/client-sts'));
});
