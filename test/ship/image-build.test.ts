// scripts/build-image-app.sh, the build step both Dockerfiles run, run here for real: it compiles, prunes to
// production dependencies and lays the app out as the image has it under /app. Then what it built is started the way
// the image starts it. (No Docker engine here: `docker build` itself is not run; see dockerfiles.test.ts.)
import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@iam4kube/testkit';
import { run, type RunResult } from '../support/run.js';
import { buildManifests, type BuiltManifests } from '../support/manifests.js';
import { checkContainerArgs } from '../support/check-config.js';
import { canMakeNamespaces, startAsPid1 } from '../support/pid1.js';

const APPS = ['server', 'ip2service'] as const;
type App = (typeof APPS)[number];
const SCRIPT = join(repoRoot(), 'scripts', 'build-image-app.sh');
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir() };
const work = mkdtempSync(join(tmpdir(), 'iam4kube-image-'));
const out = (app: App) => join(work, app);
const main = (app: App) => join(out(app), 'packages', app, 'dist', 'src', 'main.js');
const built = new Map<App, RunResult>();
let manifests: BuiltManifests;

test.before(async () => {
  // One after the other: each copies node_modules (about 200 MB) and runs npm prune.
  for (const app of APPS) built.set(app, await run('bash', [SCRIPT, app, out(app)], env, 170_000));
  manifests = await buildManifests();
});
test.after.always(() => {
  manifests?.copy.remove();
  rmSync(work, { recursive: true, force: true });
});

for (const app of APPS) {
  test(`${app}: the script builds the layout the image copies to /app`, (t) => {
    const r = built.get(app)!;
    t.is(r.code, 0, r.stderr);
    t.deepEqual(readdirSync(out(app)).sort(), ['node_modules', 'package-lock.json', 'package.json', 'packages']);
    t.deepEqual(readdirSync(join(out(app), 'packages')).sort(), [app, 'shared'].sort());
    t.true(existsSync(main(app)));
    // src only: no tests, no declarations, no source maps, no TypeScript.
    const files = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' });
    for (const pkg of [app, 'shared']) {
      const dist = files(join(out(app), 'packages', pkg, 'dist'));
      t.true(dist.length > 0);
      t.deepEqual(dist.filter((f) => !f.endsWith('.js') && !/^(src|src\/[\w/-]+)$/.test(f)), [], pkg);
    }
  });

  test(`${app}: node_modules holds the production dependencies and no dev dependency`, async (t) => {
    const modules = join(out(app), 'node_modules');
    for (const dev of ['typescript', 'ava', 'tsx', 'esbuild', 'kubernetes-models', 'light-my-request', '@types/koa', '@iam4kube/testkit']) {
      t.false(existsSync(join(modules, dev)), dev);
    }
    const other = app === 'server' ? 'ip2service' : 'server';
    t.false(existsSync(join(modules, '@iam4kube', other)));
    for (const pkg of [app, 'shared']) {
      const deps = Object.keys((JSON.parse(readFileSync(join(repoRoot(), 'packages', pkg, 'package.json'), 'utf8')) as { dependencies: object }).dependencies);
      for (const dep of deps) t.true(existsSync(join(modules, dep, 'package.json')), `${pkg} needs ${dep}`);
    }
  });

  test(`${app}: the built entry point prints --help (exit 0) and rejects a bad flag with one line and exit 2`, async (t) => {
    const help = await run(process.execPath, [main(app), '--help'], env);
    t.is(help.code, 0, help.stderr);
    t.regex(help.stdout, app === 'server' ? /^Usage: iam4kube-server/ : /^Usage: ip2service/);
    t.true(help.stdout.includes('--check-config'));
    const bad = await run(process.execPath, [main(app), '--no-such-flag'], env);
    t.is(bad.code, 2);
    t.is(bad.stderr, `${app === 'server' ? 'iam4kube-server' : 'ip2service'}: unknown flag --no-such-flag (see --help)\n`);
  });
}

test('the built entry points accept the args and environment of the installed manifests (--check-config)', async (t) => {
  const checks = await checkContainerArgs(manifests.objects('overlays/remove-taint'), (image) =>
    image.endsWith('/iam4kube-server:0.1.0') ? main('server') : image.endsWith('/ip2service:0.1.0') ? main('ip2service') : undefined,
  );
  t.is(checks.length, 2);
  for (const check of checks) t.is(check.code, 0, `${check.container}: ${check.stderr}`);
});

test('the script refuses an unknown app and an output folder that is not empty (exit 2)', async (t) => {
  const unknown = await run('bash', [SCRIPT, 'testkit', join(work, 'x')], env);
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /usage: .* <server\|ip2service> <outdir>/);
  const full = join(work, 'full');
  mkdirSync(full);
  writeFileSync(join(full, 'keep'), 'x');
  const refused = await run('bash', [SCRIPT, 'server', full], env);
  t.is(refused.code, 2);
  t.regex(refused.stderr, /is not empty/);
  t.deepEqual(readdirSync(full), ['keep']);
});

// As in a container: PID 1 of its own PID namespace, read-only root filesystem. The kernel ignores a signal sent to
// PID 1 unless the process handles it, so this proves the binaries handle SIGTERM themselves (no tini needed).
const pid1 = canMakeNamespaces() ? test : test.skip;
for (const app of APPS) {
  pid1(`${app}: as PID 1 on a read-only root filesystem it starts, and SIGTERM shuts it down cleanly (exit 0)`, async (t) => {
    const kubeconfig = join(work, `${app}-kubeconfig`);
    // An API server that is not there: the binary starts (and keeps retrying the watch) without it.
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n');
    const common = [`--kubeconfig=${kubeconfig}`, '--aux-host=127.0.0.1', '--aux-port=0', '--log-level=info'];
    const args = app === 'server' ? [...common, '--metadata-host=127.0.0.1', '--metadata-port=0', '--shutdown-delay=0s'] : [...common, '--iptables-mode=nft'];
    const proc = await startAsPid1({
      main: main(app),
      args,
      env: { ...env, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      startedMessage: app === 'server' ? 'iam4kube server started' : 'ip2service started',
    });
    t.is(proc.namespacePid, 1);
    const code = await proc.stop('SIGTERM');
    t.is(code, 0, proc.lines.join('\n'));
    const messages = proc.lines.map((l) => (JSON.parse(l.startsWith('{') ? l : '{}') as { msg?: string }).msg);
    t.true(messages.includes('shutdown complete'), proc.lines.slice(-5).join('\n'));
  });
}
