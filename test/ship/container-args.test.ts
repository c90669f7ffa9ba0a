// The args and environment of every container of ours, in every kustomization, are accepted by the real binaries'
// flag parsers (the built packages/*/dist, as `npm test` builds them). The image layout is checked the same way by
// image-build.test.ts.
import test from 'ava';
import { join } from 'node:path';
import { repoRoot } from '@iam4kube/testkit';
import { buildManifests, find, type BuiltManifests } from '../support/manifests.js';
import { checkContainerArgs, type EntryPointFor } from '../support/check-config.js';

const entryPoint: EntryPointFor = (image) => {
  if (/(^|\/)iam4kube-server(:|@|$)/.test(image)) return join(repoRoot(), 'packages/server/dist/src/main.js');
  if (/(^|\/)(iam4kube-)?ip2service(:|@|$)/.test(image)) return join(repoRoot(), 'packages/ip2service/dist/src/main.js');
  return undefined;
};

let manifests: BuiltManifests;
test.before(async () => {
  manifests = await buildManifests();
});
test.after.always(() => manifests?.copy.remove());

for (const kustomization of ['install', 'overlays/remove-taint', 'server', 'ip2service', 'examples/uninstall']) {
  test(`${kustomization}: every container's args and environment pass --check-config`, async (t) => {
    const checks = await checkContainerArgs(manifests.objects(kustomization), entryPoint);
    t.is(checks.length, ['server', 'ip2service', 'examples/uninstall'].includes(kustomization) ? 1 : 2);
    for (const check of checks) {
      if (kustomization === 'server') {
        // The base has no generated Secret: its --token-key-file names a file nobody made, and the check says so.
        t.is(check.code, 2, check.container);
        t.regex(check.stderr, /cannot read --token-key-file \/etc\/iam4kube\/token-key\/token-key: ENOENT/);
        continue;
      }
      t.is(check.code, 0, `${check.container} ${check.argv.join(' ')}:\n${check.stderr}`);
      t.is(check.stdout, 'config ok\n', check.container);
    }
  });
}

test('the check can fail: a key shorter than the server accepts, and a flag the agent does not know, exit 2', async (t) => {
  const objects = structuredClone(manifests.objects('install'));
  const secret = objects.find((o) => o.kind === 'Secret') as unknown as { data: Record<string, string> };
  secret.data['token-key'] = Buffer.from('too short').toString('base64');
  const daemonSet = find(objects, 'DaemonSet', 'ip2service') as unknown as { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } };
  daemonSet.spec.template.spec.containers[0]!.args.push('--service-prot-name=metadata');
  const checks = await checkContainerArgs(objects, entryPoint);
  t.is(checks.length, 2);
  const [agent, server] = [...checks].sort((a, b) => a.container.localeCompare(b.container));
  t.is(server!.code, 2);
  t.regex(server!.stderr, /token-key holds fewer than 16 bytes/);
  t.is(agent!.code, 2);
  t.regex(agent!.stderr, /unknown flag --service-prot-name/);
});
