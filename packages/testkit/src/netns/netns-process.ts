import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface NetnsProcessOptions {
  /** For error messages. */
  readonly name: string;
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

type Waiter = { readonly match: (line: string) => boolean; readonly resolve: (line: string) => void; readonly reject: (e: Error) => void };

/**
 * A long-lived child process whose stdout is read line by line: tests wait for the line that says something
 * happened (listening, synced, a connection) instead of sleeping. A wait fails at once when the process exits, with
 * the end of its stderr in the message.
 */
export class NetnsProcess {
  readonly name: string;
  /** Every stdout line so far, in order. */
  readonly lines: string[] = [];
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;
  readonly #child: ChildProcess;
  #stderr = '';
  #partial = '';
  #exit: ProcessExit | undefined;
  #waiters: Array<Waiter & { readonly from: number }> = [];

  constructor(options: NetnsProcessOptions) {
    this.name = options.name;
    const [file, ...args] = options.argv;
    this.#child = spawn(file!, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env });
    this.#child.stdout!.on('data', (chunk: Buffer) => this.#onStdout(chunk.toString()));
    this.#child.stderr!.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-4000);
    });
    this.exited = new Promise((resolve) => {
      this.#child.on('error', (err) => {
        this.#stderr += `\n${err.message}`;
      });
      this.#child.on('close', (code, signal) => {
        this.#exit = { code, signal };
        if (this.#partial !== '') this.#onLine(this.#partial);
        for (const w of this.#waiters.splice(0)) w.reject(this.#exitError('exited'));
        resolve(this.#exit);
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** The last few KB of stderr. */
  get stderr(): string {
    return this.#stderr;
  }

  /**
   * Resolves with the first stdout line at index `from` or later that matches; rejects when the process exits first
   * or after `timeoutMs` (a bound for a broken build, not a way to wait).
   */
  waitForLine(match: (line: string) => boolean, options: { from?: number; timeoutMs?: number } = {}): Promise<string> {
    const from = options.from ?? 0;
    const seen = this.lines.slice(from).find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    if (this.#exit) return Promise.reject(this.#exitError('had exited'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`${this.name}: no matching output line within ${options.timeoutMs ?? 10_000} ms; stderr: ${this.#stderr.slice(-1000)}`));
      }, options.timeoutMs ?? 10_000);
      const waiter = {
        from,
        match,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  /** Sends `signal` and waits for the exit; SIGKILL after `graceMs`. Harmless once exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<ProcessExit> {
    if (this.#exit) return this.#exit;
    this.#child.kill(signal);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  #onStdout(text: string): void {
    const parts = (this.#partial + text).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const line of parts) this.#onLine(line);
  }

  #onLine(line: string): void {
    const index = this.lines.push(line) - 1;
    this.#waiters = this.#waiters.filter((w) => {
      if (index < w.from || !w.match(line)) return true;
      w.resolve(line);
      return false;
    });
  }

  #exitError(what: string): Error {
    return new Error(`${this.name} ${what} (code ${this.#exit?.code}, signal ${this.#exit?.signal}); stderr: ${this.#stderr.slice(-1500)}`);
  }
}

/**
 * The argv that runs the netns peer program (netns-peer.ts, or its compiled .js) with this Node: through tsx when
 * this module itself runs from TypeScript sources, resolved to an absolute URL so any working directory works.
 */
export function peerArgv(mode: PeerMode, args: readonly string[]): string[] {
  const self = fileURLToPath(import.meta.url);
  const fromSource = self.endsWith('.ts');
  const script = fileURLToPath(new URL(fromSource ? './netns-peer.ts' : './netns-peer.js', import.meta.url));
  const loader = fromSource ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];
  return [process.execPath, ...loader, script, mode, ...args];
}

/** What netns-peer.ts can be: see its header. */
export type PeerMode = 'echo' | 'forward';
