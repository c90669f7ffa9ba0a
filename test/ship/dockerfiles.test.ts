// No Docker engine here, so the Dockerfiles are read, not built: they must be what issue 7 asks and must run what
// image-build.test.ts tests (the same script, the same app, the entry point at the path the script lays out).
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, SERVER_NODE_FLAGS } from '@iam4kube/testkit';

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Dockerfile instructions, with line continuations joined and comments dropped. */
function instructions(file: string): Instruction[] {
  const text = readFileSync(join(repoRoot(), file), 'utf8').replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [keyword, ...rest] = l.split(/\s+/);
      return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
    });
}

const DOCKERFILES = { server: 'Dockerfile.server', ip2service: 'Dockerfile.ip2service' } as const;

function baseImage(file: string): string {
  const arg = instructions(file).find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_IMAGE='));
  if (!arg) throw new Error(`${file}: no ARG NODE_IMAGE`);
  return arg.args.slice('NODE_IMAGE='.length);
}

test('both images start from the same Node.js image, pinned to a full version of an LTS line', (t) => {
  const image = baseImage(DOCKERFILES.server);
  t.is(baseImage(DOCKERFILES.ip2service), image);
  const m = /^node:(\d+)\.(\d+)\.(\d+)-[a-z]+-slim(@sha256:[0-9a-f]{64})?$/.exec(image);
  t.truthy(m, `${image} is not pinned to node:<major>.<minor>.<patch>-<debian>-slim`);
  t.true(Number(m![1]) % 2 === 0 && Number(m![1]) >= 24, `${image}: LTS lines are even-numbered (24, 26)`);
});

for (const [app, file] of Object.entries(DOCKERFILES)) {
  test(`${file}: multi-stage; the build stage runs the tested script for ${app}, the runtime stage copies only its output`, (t) => {
    const all = instructions(file);
    const froms = all.filter((i) => i.keyword === 'FROM');
    t.deepEqual(froms.map((f) => f.args), ['${NODE_IMAGE} AS build', '${NODE_IMAGE}']);
    const runtime = all.slice(all.indexOf(froms[1]!));
    const build = all.slice(0, all.indexOf(froms[1]!));
    t.true(build.some((i) => i.keyword === 'RUN' && i.args.includes('npm ci') && i.args.includes(`bash scripts/build-image-app.sh ${app} /app`)));
    const copies = runtime.filter((i) => i.keyword === 'COPY');
    t.deepEqual(copies.map((c) => c.args), ['--from=build /app /app']);
    t.false(runtime.some((i) => i.args.includes('npm ')), 'no npm in the runtime stage');
  });

  test(`${file}: exec-form entry point at the script's layout, node as PID 1, no HEALTHCHECK`, (t) => {
    const all = instructions(file);
    const entrypoints = all.filter((i) => i.keyword === 'ENTRYPOINT');
    t.is(entrypoints.length, 1);
    // The server's Node flags are the ones the test kit starts the binary with: tests and the bench run it as the image does.
    const flags = app === 'server' ? SERVER_NODE_FLAGS : [];
    t.deepEqual(JSON.parse(entrypoints[0]!.args), ['node', ...flags, `/app/packages/${app}/dist/src/main.js`]);
    t.false(all.some((i) => i.keyword === 'CMD' || i.keyword === 'HEALTHCHECK'));
    t.true(all.some((i) => i.keyword === 'ENV' && i.args === 'NODE_ENV=production'));
  });
}

test('Dockerfile.server runs as a numeric non-root user (runAsNonRoot can check it)', (t) => {
  const users = instructions(DOCKERFILES.server).filter((i) => i.keyword === 'USER');
  t.deepEqual(users.map((u) => u.args), ['65532:65532']);
});

test('Dockerfile.ip2service installs iptables (nft and legacy back ends) and conntrack in the runtime stage', (t) => {
  const all = instructions(DOCKERFILES.ip2service);
  const runtime = all.slice(all.findLastIndex((i) => i.keyword === 'FROM'));
  const install = runtime.find((i) => i.keyword === 'RUN' && i.args.includes('apt-get install'));
  t.truthy(install);
  t.regex(install!.args, /--no-install-recommends iptables conntrack/);
  t.regex(install!.args, /rm -rf \/var\/lib\/apt\/lists/);
  t.false(all.some((i) => i.keyword === 'USER'), 'root: iptables needs it (with NET_ADMIN and NET_RAW only, see the DaemonSet)');
});
