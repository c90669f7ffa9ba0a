import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** True when this process may make PID and mount namespaces (root with util-linux unshare). */
export function canMakeNamespaces(): boolean {
  return process.getuid?.() === 0 && spawnSync('unshare', ['--version']).status === 0;
}

export interface Pid1Options {
  readonly main: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** The `msg` of the JSON log line that says the binary is up. */
  readonly startedMessage: string;
}

export interface Pid1Process {
  /** The process's id as seen from here, and inside its own PID namespace (1). */
  readonly pid: number;
  readonly namespacePid: number;
  /** The log lines so far (stdout and stderr). */
  readonly lines: string[];
  /** Signals the process and resolves with its exit code. */
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `node MAIN ARGS` as PID 1 of a new PID namespace, with the root filesystem (and /tmp, when it is a mount of
 * its own) read-only in a new mount namespace: as a container with `readOnlyRootFilesystem` starts its entry point.
 * Resolves once the binary logged `startedMessage`; rejects if it exits first.
 */
export function startAsPid1(options: Pid1Options): Promise<Pid1Process> {
  const script = 'mount -o remount,bind,ro / && { ! mountpoint -q /tmp || mount -o remount,bind,ro /tmp; } && exec "$0" "$@"';
  const child = spawn('unshare', ['--pid', '--fork', '--mount', '--mount-proc', '--', 'sh', '-c', script, process.execPath, options.main, ...options.args], {
    env: { ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    let started = false;
    const onLine = (line: string): void => {
      lines.push(line);
      if (started) return;
      let msg: unknown;
      try {
        msg = (JSON.parse(line) as { msg?: unknown }).msg;
      } catch {
        return; // not a log line
      }
      if (msg !== options.startedMessage) return;
      started = true;
      // unshare --fork: its only child is the shell that exec'd node, i.e. our PID 1.
      const pid = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim());
      const nsPids = /^NSpid:\s+(.+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!.trim().split(/\s+/).map(Number);
      resolve({
        pid,
        namespacePid: nsPids[nsPids.length - 1]!,
        lines,
        async stop(signal) {
          process.kill(pid, signal);
          return exited;
        },
      });
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    void exited.then((code) => {
      if (!started) reject(new Error(`exited with ${code} before "${options.startedMessage}":\n${lines.slice(-10).join('\n')}`));
    });
  });
}
