import test from 'ava';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@iam4kube/testkit';
import { run } from '../support/run.js';
import { container } from '../support/pod-spec.js';
import { KUBECTL, buildManifests, copyManifests, kustomize, type BuiltManifests } from '../support/manifests.js';

let manifests: BuiltManifests;
test.before(async () => {
  if (!existsSync(KUBECTL)) throw new Error(`${KUBECTL} is missing (.ci/run installs kubectl)`);
  manifests = await buildManifests();
});
test.after.always(() => manifests?.copy.remove());

test('the kustomizations are the bases, the install, its overlay and the examples (workload, uninstall)', (t) => {
  t.deepEqual([...manifests.builds.keys()], ['components/remove-taint', 'examples/uninstall', 'examples/workload', 'install', 'ip2service', 'overlays/remove-taint', 'server']);
});

test('every kustomization builds with the real kubectl kustomize', (t) => {
  for (const [dir, build] of manifests.builds) {
    t.is(build.code, 0, `${dir}: ${build.stderr}`);
    t.true(build.objects.length > 0, dir);
  }
});

test('the install is the server and ip2service plus the generated token-key Secret, and the images', (t) => {
  const objects = manifests.objects('install');
  const names = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();
  t.deepEqual(names, [
    'ClusterRole//iam4kube-server',
    'ClusterRoleBinding//iam4kube-server',
    'DaemonSet/iam4kube-ip2service/ip2service',
    'Deployment/iam4kube/iam4kube-server',
    'Namespace//iam4kube',
    'Namespace//iam4kube-ip2service',
    'NetworkPolicy/iam4kube/iam4kube-server',
    'PodDisruptionBudget/iam4kube/iam4kube-server',
    'Role/iam4kube/ip2service',
    'RoleBinding/iam4kube/ip2service',
    `Secret/iam4kube/${objects.find((o) => o.kind === 'Secret')!.metadata.name}`,
    'Service/iam4kube/iam4kube-server',
    'ServiceAccount/iam4kube-ip2service/ip2service',
    'ServiceAccount/iam4kube/iam4kube-server',
  ]);
  const images = objects.flatMap((o) => JSON.stringify(o).match(/"image":"[^"]+"/g) ?? []);
  t.deepEqual(images.sort(), ['"image":"registry.example.com/iam4kube/iam4kube-server:0.1.0"', '"image":"registry.example.com/iam4kube/ip2service:0.1.0"']);
});

test('the token key Secret holds the generated key, under a content-hashed name the Deployment refers to', (t) => {
  const objects = manifests.objects('install');
  const secret = objects.find((o) => o.kind === 'Secret') as unknown as { metadata: { name: string }; data: Record<string, string> };
  t.regex(secret.metadata.name, /^iam4kube-token-key-[a-z0-9]{10}$/);
  t.deepEqual(Object.keys(secret.data), ['token-key']);
  t.true(Buffer.from(secret.data['token-key']!, 'base64').equals(manifests.copy.tokenKey));
  t.true(JSON.stringify(objects.find((o) => o.kind === 'Deployment')).includes(`"secretName":"${secret.metadata.name}"`));
});

test('a new key is a new Secret name: applying it rolls the server out', async (t) => {
  const copy = copyManifests();
  try {
    const first = await kustomize(join(copy.dir, 'install'));
    writeFileSync(join(copy.dir, 'install', 'token-key'), Buffer.alloc(32, 7));
    const second = await kustomize(join(copy.dir, 'install'));
    const secretName = (objects: typeof first.objects) => objects.find((o) => o.kind === 'Secret')!.metadata.name;
    t.not(secretName(first.objects), secretName(second.objects));
  } finally {
    copy.remove();
  }
});

test('without a token key the install does not build, and says which file is missing (fail closed: no shared default key)', async (t) => {
  // Never committed: git ignores the file and does not track it.
  const git = (...args: string[]) => run('git', ['-C', repoRoot(), ...args], { PATH: process.env.PATH ?? '/usr/bin:/bin' });
  t.is((await git('check-ignore', '-q', 'manifests/install/token-key')).code, 0);
  t.is((await git('ls-files', 'manifests/install/token-key')).stdout, '');
  const copy = copyManifests();
  try {
    rmSync(join(copy.dir, 'install', 'token-key'));
    const r = await kustomize(join(copy.dir, 'install'));
    t.not(r.code, 0);
    t.regex(r.stderr, /token-key/);
  } finally {
    copy.remove();
  }
});

test('the remove-taint overlay is the install plus node get/patch for ip2service and the --remove-taint flag', (t) => {
  const install = manifests.objects('install');
  const overlay = manifests.objects('overlays/remove-taint');
  const key = (o: { kind: string; metadata: { name: string } }) => `${o.kind}/${o.metadata.name}`;
  const added = overlay.filter((o) => !install.some((i) => key(i) === key(o))).map(key).sort();
  t.deepEqual(added, ['ClusterRole/ip2service-remove-taint', 'ClusterRoleBinding/ip2service-remove-taint']);
  const args = (objects: typeof install) => JSON.stringify(container(objects.find((o) => o.kind === 'DaemonSet')!).args);
  t.false(args(install).includes('--remove-taint'));
  t.true(args(overlay).includes('"--remove-taint=iam4kube.io/agent-not-ready"'));
});
