import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** The repository root: the nearest parent folder whose package.json is the workspace root. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'packages', 'server', 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the iam4kube repository root');
    dir = up;
  }
  return dir;
}

export interface ServerProcessOptions {
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Every log line the server writes (JSON), as it arrives. */
  readonly onLine?: (line: string) => void;
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly metadataPort: number;
  readonly auxPort: number;
  /** Lines written so far (stdout and stderr). */
  readonly lines: string[];
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

/**
 * Starts the real server binary (the built `packages/server/dist/src/main.js`), exactly as a container would, and
 * resolves when it has bound its ports (read from its start-up log line, so port 0 works).
 */
export function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const main = join(repoRoot(), 'packages', 'server', 'dist', 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx tsc -b)`);
  const child = spawn(process.execPath, [main, ...options.args], { env: { ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let started = false;
    const onLine = (line: string): void => {
      lines.push(line);
      options.onLine?.(line);
      if (started) return;
      try {
        const entry = JSON.parse(line) as { msg?: string; metadata?: { port: number }; aux?: { port: number } };
        if (entry.msg === 'iam4kube server started' && entry.metadata && entry.aux) {
          started = true;
          resolve({
            child,
            metadataPort: entry.metadata.port,
            auxPort: entry.aux.port,
            lines,
            exited,
            async stop(signal = 'SIGTERM') {
              if (child.exitCode === null && child.signalCode === null) child.kill(signal);
              return exited;
            },
          });
        }
      } catch {
        // not JSON (stderr text)
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    void exited.then((code) => {
      if (!started) reject(new Error(`server exited with code ${code} before starting:\n${lines.slice(-10).join('\n')}`));
    });
  });
}
