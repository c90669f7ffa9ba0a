/**
 * The throughput baseline as the bench runs it: baseline-server.ts in a child process (tsx), pinned like the server,
 * answering with a prebuilt buffer of the given size.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { pinProcess } from './bench-stack.js';

export interface Baseline {
  readonly child: ChildProcess;
  readonly url: string;
}

/** `launcher`: run Node under this command, as the server can be (ServerProcessOptions.launcher). */
export async function startBaseline(bodyBytes: number, cpu: number | undefined, launcher: readonly string[] = []): Promise<Baseline> {
  const script = fileURLToPath(new URL('./baseline-server.ts', import.meta.url));
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const argv = [...launcher, process.execPath, '--import', tsx, script, String(bodyBytes)];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`baseline server exited (${code})`)));
  });
  if (cpu !== undefined) pinProcess(child.pid!, cpu);
  return { child, url: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}` };
}
