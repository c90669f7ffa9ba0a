import test from 'ava';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { createLogger } from '../src/logger.js';
import { handleSignals } from '../src/lifecycle.js';

function setup(shutdown: (signal: NodeJS.Signals) => Promise<void>) {
  const proc = new EventEmitter();
  const exits: number[] = [];
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', stream: new Writable({ write: (c, _e, cb) => { lines.push(String(c)); cb(); } }) });
  const remove = handleSignals({
    logger,
    shutdown,
    exit: (code) => exits.push(code),
    process: { on: (s: string, f: (...a: unknown[]) => void) => proc.on(s, f), off: (s: string, f: (...a: unknown[]) => void) => proc.off(s, f) } as never,
  });
  return { proc, exits, lines, remove };
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} runs the graceful shutdown, then exits 0`, async (t) => {
    let finish: () => void = () => undefined;
    const seen: string[] = [];
    const { proc, exits } = setup((s) => {
      seen.push(s);
      return new Promise((r) => (finish = r));
    });
    proc.emit(signal, signal);
    t.deepEqual(seen, [signal]);
    await Promise.resolve();
    t.deepEqual(exits, [], 'not before the shutdown is done');
    finish();
    await new Promise((r) => setImmediate(r));
    t.deepEqual(exits, [0]);
  });
}

test('a second signal exits at once, without waiting for the graceful shutdown', (t) => {
  const { proc, exits, lines } = setup(() => new Promise(() => undefined));
  proc.emit('SIGTERM', 'SIGTERM');
  t.deepEqual(exits, []);
  proc.emit('SIGINT', 'SIGINT');
  t.deepEqual(exits, [1]);
  t.true(lines.some((l) => l.includes('second signal')));
});

test('a failed shutdown exits 1 and says why', async (t) => {
  const { proc, exits, lines } = setup(async () => {
    throw new Error('drain failed');
  });
  proc.emit('SIGTERM', 'SIGTERM');
  await new Promise((r) => setImmediate(r));
  t.deepEqual(exits, [1]);
  t.true(lines.some((l) => l.includes('shutdown failed') && l.includes('drain failed')));
});

test('the returned function removes the handlers', (t) => {
  const { proc, remove } = setup(async () => undefined);
  t.is(proc.listenerCount('SIGTERM'), 1);
  remove();
  t.is(proc.listenerCount('SIGTERM'), 0);
  t.is(proc.listenerCount('SIGINT'), 0);
});
