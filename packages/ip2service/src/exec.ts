import { spawn } from 'node:child_process';

export interface ExecResult {
  /** Exit code; a process killed by a signal (e.g. the timeout) reports -1. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a program without a shell. Resolves whatever the exit code; rejects only when the program cannot be started
 * (not installed). The iptables adapter takes one of these, so tests can run it against a fake.
 */
export type Exec = (file: string, args: readonly string[], options?: { readonly input?: string }) => Promise<ExecResult>;

export interface SpawnExecOptions {
  /** Kills a command that runs longer (iptables -w can wait on the xtables lock indefinitely). */
  readonly timeoutMs: number;
}

export function createSpawnExec(options: SpawnExecOptions): Exec {
  return (file, args, execOptions) =>
    new Promise<ExecResult>((resolve, reject) => {
      const child = spawn(file, [...args], { stdio: ['pipe', 'pipe', 'pipe'], timeout: options.timeoutMs });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', reject);
      child.on('close', (code) =>
        resolve({ code: code ?? -1, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() }),
      );
      // A program that exits without reading its input makes the write fail with EPIPE; the exit code tells why.
      child.stdin.on('error', () => {});
      child.stdin.end(execOptions?.input ?? '');
    });
}
