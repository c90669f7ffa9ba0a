/**
 * Drives a real HTTP load generator as a child process (never in the bench's own event loop, which also hosts the
 * emulators): wrk when it is installed (`apt-get install wrk`; C, one thread, the least CPU per request), else
 * autocannon (an npm devDependency, always there after `npm ci`). Both report per-request latency percentiles.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export type LoadTool = 'wrk' | 'autocannon';

export interface LoadOptions {
  readonly tool: LoadTool;
  readonly url: string;
  readonly connections: number;
  readonly durationS: number;
  /** false: every request carries `Connection: close` (a new TCP connection per request). */
  readonly keepAlive: boolean;
  readonly headers?: Readonly<Record<string, string>>;
  /** Pin the load generator to this CPU (taskset), when set. */
  readonly cpu?: number | undefined;
  /**
   * Paced load: after every answer each connection pauses a random time, exponential with this mean in
   * milliseconds, before its next request (wrk, wrk-paced.lua; autocannon sends 1000 / pace requests per second per
   * connection). The offered rate is then about connections × 1000 / pace, below saturation. Unset: every connection
   * sends as fast as it is answered.
   */
  readonly paceMs?: number | undefined;
  /**
   * Requests cycle through these paths (on the URL's host), one after the other, instead of the URL's own path
   * (wrk only, wrk-paths.lua; not with paceMs).
   */
  readonly paths?: readonly string[] | undefined;
}

export interface LoadResult {
  readonly tool: LoadTool;
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Socket errors and timeouts. */
  readonly errors: number;
  /** Answers that were not 2xx. */
  readonly non2xx: number;
}

export function wrkInstalled(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

export function defaultTool(): LoadTool {
  return wrkInstalled() ? 'wrk' : 'autocannon';
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const headers = { ...(o.headers ?? {}), ...(o.keepAlive ? {} : { connection: 'close' }) };
  return o.tool === 'wrk' ? runWrk(o, headers) : runAutocannon(o, headers);
}

async function runWrk(o: LoadOptions, headers: Record<string, string>): Promise<LoadResult> {
  if (o.paths !== undefined && o.paceMs !== undefined) throw new Error('paced load through several paths is not implemented');
  const script = fileURLToPath(new URL(o.paths !== undefined ? './wrk-paths.lua' : o.paceMs === undefined ? './wrk-report.lua' : './wrk-paced.lua', import.meta.url));
  const args = ['-t1', `-c${o.connections}`, `-d${o.durationS}s`, '--timeout', '10s', '-s', script];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  const after = o.paths !== undefined ? ['--', ...o.paths] : o.paceMs === undefined ? [] : ['--', String(o.paceMs)];
  const out = await run(pinned(o.cpu, ['wrk', ...args, o.url, ...after]));
  const line = out.split('\n').find((l) => l.startsWith('{"requests"'));
  if (!line) throw new Error(`wrk printed no report:\n${out}`);
  const r = JSON.parse(line) as Record<string, number>;
  const errors = r.connectErrors! + r.readErrors! + r.writeErrors! + r.timeouts!;
  return {
    tool: 'wrk',
    requests: r.requests!,
    rps: r.requests! / (r.durationUs! / 1e6),
    p50Ms: r.p50Us! / 1000,
    p99Ms: r.p99Us! / 1000,
    maxMs: r.maxUs! / 1000,
    errors,
    non2xx: r.statusErrors!,
  };
}

async function runAutocannon(o: LoadOptions, headers: Record<string, string>): Promise<LoadResult> {
  if (o.paths !== undefined) throw new Error('requests through several paths need wrk');
  const cli = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
  const args = [cli, '-c', String(o.connections), '-d', String(o.durationS), '-j', '-t', '10'];
  if (o.paceMs !== undefined) args.push('--connectionRate', String(Math.max(1, Math.round(1000 / o.paceMs))));
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  const out = await run(pinned(o.cpu, [process.execPath, ...args, o.url]));
  const json = out.slice(out.indexOf('{'));
  const r = JSON.parse(json) as {
    latency: { p50: number; p99: number; max: number };
    requests: { total: number };
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
  };
  return {
    tool: 'autocannon',
    requests: r.requests.total,
    rps: r.requests.total / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

/** `taskset -c <cpu> argv...` when a CPU is given. */
export function pinned(cpu: number | undefined, argv: readonly string[]): string[] {
  return cpu === undefined ? [...argv] : ['taskset', '-c', String(cpu), ...argv];
}

function run(argv: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${argv.join(' ')} exited ${code}: ${err.slice(-2000)}`))));
  });
}
