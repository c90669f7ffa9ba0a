/**
 * Child process of the memory benchmark (run with --expose-gc): starts the real server in this process, exactly as
 * main.ts does (same flags, same wiring), waits until it is ready (caches synced, every role's credentials
 * fetched), collects garbage and prints one JSON line with the process's memory. Then it stops.
 *
 *   node --expose-gc --import tsx bench/memory-worker.ts -- <server flags...>
 */
import { Writable } from 'node:stream';
import { parseServerArgs } from '../packages/server/src/config.js';
import { startServer } from '../packages/server/src/app.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const parsed = parseServerArgs(process.argv.slice(2).filter((a) => a !== '--'), process.env);
if (parsed.kind !== 'run') throw new Error('expected server flags');
const started = performance.now();
const server = await startServer(parsed.values, { logStream: new Writable({ write: (_chunk, _enc, done) => done() }) });
while (!server.ready()) await new Promise((resolve) => setTimeout(resolve, 20));
const msToReady = performance.now() - started;

async function settled(): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage();
}
const memory = await settled();
process.stdout.write(`${JSON.stringify({ event: 'measured', msToReady, ...memory })}\n`);
await server.stop();
process.exit(0);
