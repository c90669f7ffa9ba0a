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
  /**
   * Start the server in a process group of its own (the demo does). A terminal's Ctrl-C goes to the whole foreground
   * group; the server must get only the parent's one SIGTERM, because a second signal makes it exit at once and cuts
   * its drain short. The parent then owns the server: it is killed when the parent exits.
   */
  readonly ownProcessGroup?: boolean;
  /**
   * Run Node under this command (its first element is the program, the rest its arguments; Node and the server's
   * own arguments follow), e.g. valgrind for the bench's instruction counts. The process keeps the one pid.
   */
  readonly launcher?: readonly string[];
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
 * The Node.js flags the server binary runs with: Dockerfile.server's ENTRYPOINT has the same
 * (test/ship/dockerfiles.test.ts checks), so everything started here (the demo, the bench, the end-to-end and
 * reliability suites) runs the binary as the image does.
 *
 * `--no-memory-reducer`: V8's memory reducer runs full collections in every isolate once an allocation burst is over
 * (after the start, after each busy spell). After they ran, the same load cost the server 6-10 µs more CPU per
 * credentials request (about 25 % more) for as long as it was measured, not only while they ran
 * (docs/performance.md, session 9). Without it the heap the start grew is kept: idle RSS with 100 roles 215 MiB
 * instead of 161 MiB, measured in session 9 (142 MiB since session 13, which keeps the Kubernetes client off the main
 * thread: docs/operations.md). Session 15 found the slowdown's cause (process.nextTick's object shapes freed by the
 * collections; the server now keeps them, packages/server/src/tick-object-shape.ts) and measured the reducer on and
 * off with that fix: the same CPU per request by /proc and in a bench run, but 3-10 % more instructions under callgrind
 * with it on. The flag stays until that is settled (docs/performance.md, session 15).
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--no-memory-reducer'];

/**
 * Starts the real server binary (the built `packages/server/dist/src/main.js`), exactly as a container would, and
 * resolves when it has bound its ports (read from its start-up log line, so port 0 works).
 */
export function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const main = join(repoRoot(), 'packages', 'server', 'dist', 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx tsc -b)`);
  const argv = [...(options.launcher ?? []), process.execPath, ...SERVER_NODE_FLAGS, main, ...options.args];
  const child = spawn(argv[0]!, argv.slice(1), {
    env: { ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownProcessGroup === true,
  });
  if (options.ownProcessGroup) {
    // Out of the parent's group, the server would outlive a parent that exits without stopping it.
    const killOnExit = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
  }
  const lines: string[] = [];
  // 'close': the process has exited and its output has been read to the end (every line is in `lines`).
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
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

export interface LocalServerArgs {
  readonly kubeconfig: string;
  readonly stsEndpoint: string;
  readonly logLevel?: string;
  /** 0 (the default) lets the OS pick. */
  readonly metadataPort?: number;
  readonly auxPort?: number;
}

/** The flags of a server on loopback: both ports on 127.0.0.1, the given Kubernetes API and STS, no shutdown delay. */
export function localServerArgs(o: LocalServerArgs): string[] {
  return [
    `--kubeconfig=${o.kubeconfig}`,
    '--metadata-host=127.0.0.1',
    `--metadata-port=${o.metadataPort ?? 0}`,
    '--aux-host=127.0.0.1',
    `--aux-port=${o.auxPort ?? 0}`,
    `--sts-endpoint=${o.stsEndpoint}`,
    '--shutdown-delay=0s',
    `--log-level=${o.logLevel ?? 'info'}`,
  ];
}

/** The environment of a server child process on loopback: base credentials only, no shared config, no IMDS. */
export function localServerEnv(credentials: { readonly accessKeyId: string; readonly secretAccessKey: string }): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    // The SDK warns on stderr that future releases need Node 22 (the images run a newer Node).
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** Polls /readyz of a server child process until 200, bounded: the only wait here is on another process. */
export async function waitServerReady(auxUrl: string, server: ServerProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) throw new Error(`server exited (${server.child.exitCode}):\n${server.lines.slice(-10).join('\n')}`);
    try {
      const response = await fetch(`${auxUrl}/readyz`);
      last = await response.text();
      if (response.ok) return;
    } catch (err) {
      last = String(err);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`server not ready after ${timeoutMs} ms: ${last.slice(0, 500)}`);
}
