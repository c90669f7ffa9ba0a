#!/usr/bin/env node
// The one test command: typecheck and build every package (tsc -b), then run every package's tests and the
// end-to-end suites with ava, inside a private network namespace with loopback only (when we can make one), and end
// with the line "N passed, N failed". The exit code is ava's (or 1 when the typecheck fails).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const inside = args[0] === '--inside-netns';
const avaArgs = inside ? args.slice(1) : args;

/** True when this network namespace has no interface but loopback. /proc/self/net/dev is per namespace; /sys/class/net
 * is not (it shows the namespace that mounted sysfs). */
function onlyLoopback() {
  try {
    const lines = readFileSync('/proc/self/net/dev', 'utf8').trim().split('\n').slice(2);
    return lines.every((line) => line.trim().startsWith('lo:'));
  } catch {
    return false;
  }
}

if (!inside) {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b'], { cwd: root, stdio: 'inherit' });
  if (tsc.status !== 0) {
    console.log('typecheck (tsc -b) failed');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  const canIsolate = process.getuid?.() === 0 && spawnSync('unshare', ['--version']).status === 0;
  if (canIsolate && !onlyLoopback()) {
    // Real AWS clients run in the tests: in a namespace whose only interface is loopback, a misconfiguration can
    // never reach a real endpoint (or the real instance metadata service).
    const child = spawn(
      'unshare',
      ['-n', '--', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, fileURLToPath(import.meta.url), '--inside-netns', ...avaArgs],
      { cwd: root, stdio: 'inherit' },
    );
    child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  } else {
    if (!onlyLoopback()) console.error('warning: not root: running tests without a private network namespace; suites with real AWS clients will refuse to run');
    runAva();
  }
} else {
  runAva();
}

function runAva() {
  const ava = spawn(process.execPath, [join(root, 'node_modules/ava/entrypoints/cli.mjs'), '--tap', ...avaArgs], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true' },
  });
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let buffer = '';
  const countLine = (line) => {
    if (/^ok \d+/.test(line)) {
      if (/# (SKIP|TODO)/i.test(line)) skipped++;
      else passed++;
    } else if (/^not ok \d+/.test(line)) {
      if (/# TODO/i.test(line)) skipped++;
      else failed++;
    }
  };
  ava.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    lines.forEach(countLine);
  });
  ava.on('exit', (code, signal) => {
    if (buffer) countLine(buffer);
    const exitCode = code ?? 1;
    // ava exits non-zero with no test lines when it cannot even start (a syntax error, a bad config).
    if (exitCode !== 0 && failed === 0) failed = 1;
    console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
    process.exit(signal ? 1 : exitCode);
  });
}
