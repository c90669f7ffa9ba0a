import test from 'ava';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { keepTickObjectShape } from '../src/tick-object-shape.js';

const probe = fileURLToPath(new URL('./fixtures/tick-shape-probe.ts', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');

/** The states of nextTick's DefineKeyedOwnPropertyInLiteral feedback slots (one per key of its tick object literal). */
function literalSlotStates(kept: boolean): string[] {
  // V8 prints with C's stdio, which drops what a full non-blocking pipe refuses (Node makes its stdout pipe
  // non-blocking): to a file, nothing is lost.
  const dir = mkdtempSync(join(tmpdir(), 'tick-shape-'));
  const out = join(dir, 'stdout');
  const fd = openSync(out, 'w');
  try {
    const r = spawnSync(process.execPath, ['--allow-natives-syntax', '--expose-gc', '--import', tsx, probe, ...(kept ? ['kept'] : [])], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`probe failed (${r.status}): ${r.stderr}`);
    return [...readFileSync(out, 'utf8').matchAll(/DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((m) => m[1]!);
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

test('without a kept tick object, a full collection on an empty queue leaves nextTick\'s literal megamorphic (the problem, on this Node)', (t) => {
  const states = literalSlotStates(false);
  t.log(`Node ${process.version}: ${states.join(', ')}`);
  t.is(states.length, 4, 'the tick object literal has four keys');
  t.true(states.includes('MEGAMORPHIC'));
});

test('with one tick object kept, the same run leaves every key of the literal monomorphic', (t) => {
  const states = literalSlotStates(true);
  t.log(`Node ${process.version}: ${states.join(', ')}`);
  t.deepEqual(states, ['MONOMORPHIC', 'MONOMORPHIC', 'MONOMORPHIC', 'MONOMORPHIC']);
});

test('it keeps a real tick object, the same one on every call', (t) => {
  const first = keepTickObjectShape();
  t.is(typeof (first as { callback?: unknown } | undefined)?.callback, 'function');
  t.is(keepTickObjectShape(), first);
});
