import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { KubeApiEmulator } from '../../src/kube-api/index.js';

/** The real kubectl against an emulator, with its own kubeconfig and discovery cache in a temp dir. */
export const KUBECTL = '/usr/bin/kubectl';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Kubectl {
  (...args: string[]): Promise<KubectlResult>;
  /** A private temp dir (kubeconfig, cache), removed by cleanup(). */
  readonly dir: string;
  /** Starts a long-running kubectl; resolves lines as they are printed. */
  spawn(...args: string[]): { nextLine(matching: RegExp): Promise<string>; kill(): void };
  cleanup(): Promise<void>;
}

export async function kubectlFor(api: KubeApiEmulator): Promise<Kubectl> {
  const dir = await mkdtemp(join(tmpdir(), 'kube-emulator-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await api.writeKubeconfig(kubeconfig);
  const env = { PATH: process.env['PATH'] ?? '', HOME: dir, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'cache') };
  const run = (...args: string[]): Promise<KubectlResult> =>
    new Promise((resolve) => {
      execFile(KUBECTL, [...args, '--request-timeout=10s'], { env, timeout: 20_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  const children: (() => void)[] = [];
  return Object.assign(run, {
    dir,
    spawn(...args: string[]) {
      const child = spawn(KUBECTL, [...args, '--request-timeout=0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const kill = (): void => void child.kill('SIGKILL');
      children.push(kill);
      const lines: string[] = [];
      const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
      createInterface({ input: child.stdout }).on('line', (line) => {
        const waiter = waiters.find((w) => w.re.test(line));
        if (waiter) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        } else lines.push(line);
      });
      return {
        nextLine(re: RegExp): Promise<string> {
          const seen = lines.findIndex((l) => re.test(l));
          if (seen >= 0) return Promise.resolve(lines.splice(seen, 1)[0]!);
          return new Promise((resolve, reject) => {
            waiters.push({ re, resolve });
            child.once('exit', (code) => reject(new Error(`kubectl exited (${code}) before printing ${re}`)));
          });
        },
        kill,
      };
    },
    async cleanup() {
      for (const kill of children) kill();
      await rm(dir, { recursive: true, force: true });
    },
  });
}
