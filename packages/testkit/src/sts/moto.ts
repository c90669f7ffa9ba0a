/**
 * moto_server (https://github.com/getmoto/moto), an AWS emulator maintained outside this project, as a second
 * opinion on STS's wire format. It accepts any credentials and uses account 123456789012. It binds 127.0.0.1; we
 * pass port 0 by default and read the port it reports, so there is no race for a free port.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';

export interface Moto {
  /** `http://127.0.0.1:PORT`. */
  readonly endpoint: string;
  close(): Promise<void>;
}

export interface StartMotoOptions {
  /** Port on 127.0.0.1; 0 (the default) lets moto pick a free one, which it reports. */
  readonly port?: number;
  /** The executable; default `moto_server` on PATH. */
  readonly command?: string;
  /** How long to wait for moto to answer; default 30 s. */
  readonly startTimeoutMs?: number;
}

/** The account moto reports for every caller. */
export const MOTO_ACCOUNT_ID = '123456789012';

function answers(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${endpoint}/moto-api/`, { method: 'GET', timeout: 2000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts moto_server and resolves once it answers HTTP; rejects with a clear message when it is not installed. */
export async function startMoto(options: StartMotoOptions = {}): Promise<Moto> {
  const command = options.command ?? 'moto_server';
  const child = spawn(command, ['-H', '127.0.0.1', '-p', String(options.port ?? 0)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`moto_server did not report its port within ${options.startTimeoutMs ?? 30_000} ms:\n${output}`));
    }, options.startTimeoutMs ?? 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const m = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        err.code === 'ENOENT'
          ? new Error(`${command} is not installed or not on PATH (install it with: pip install 'moto[server]')`)
          : err,
      );
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
  child.removeAllListeners('exit');
  // Keep draining its output so it never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  const endpoint = `http://127.0.0.1:${port}`;
  // Bounded poll against an external process: the port is reported just before the socket accepts.
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  while (!(await answers(endpoint))) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server on ${endpoint} did not answer in time`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  let closing: Promise<void> | undefined;
  return {
    endpoint,
    close() {
      closing ??= (async () => {
        const done = exited(child);
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await done;
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}
