/**
 * Small networks of Linux network namespaces for end-to-end tests (root only): namespaces made with `ip netns add`,
 * veth pairs between them, commands and long-lived processes run inside them with `ip netns exec`. Nothing here
 * touches the namespace of the calling process: every interface, address, route, sysctl and firewall rule is made
 * inside a namespace the lab created, and the lab deletes them all in destroy().
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';

import { parseNetDev } from './isolation.js';
import { NetnsProcess } from './netns-process.js';

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Why netns tests cannot run here (not root, a tool missing), or undefined when they can. */
export function netnsUnsupportedReason(tools: readonly string[] = []): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const tool of ['ip', ...tools]) {
    const probe = spawnSync(tool, tool === 'ip' ? ['-V'] : ['--version'], { stdio: 'ignore' });
    if (probe.error) return `${tool} is not installed`;
  }
  return undefined;
}

/** Runs a command to completion, bounded in time; never rejects for a non-zero exit (only when it cannot start). */
export function runCommand(file: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env, timeout: options.timeoutMs ?? 30_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface VethEnd {
  readonly ns: string;
  readonly ifname: string;
  /** Address with prefix, e.g. `10.200.1.1/24`; omit for none. */
  readonly address?: string;
}

/**
 * A set of network namespaces and the processes running in them, torn down together. Names get a unique prefix, so
 * parallel test files (and leftovers of a killed run) never collide.
 */
export class NetnsLab {
  readonly prefix: string;
  readonly #namespaces: string[] = [];
  readonly #processes: NetnsProcess[] = [];

  constructor(tag: string) {
    this.prefix = `${tag}-${process.pid}-${randomBytes(3).toString('hex')}`;
  }

  /** Creates `<prefix>-<role>` with its loopback up; returns the full name. */
  async add(role: string): Promise<string> {
    const name = `${this.prefix}-${role}`;
    await this.ip(['netns', 'add', name]);
    this.#namespaces.push(name);
    await this.ip(['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** Runs `ip <args>`; rejects with its stderr on failure. */
  async ip(args: readonly string[]): Promise<string> {
    const result = await runCommand('ip', args);
    if (result.code !== 0) throw new Error(`ip ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
    return result.stdout;
  }

  /** A veth pair between two namespaces (created inside the first, its peer moved straight into the second), up. */
  async link(a: VethEnd, b: VethEnd): Promise<void> {
    await this.ip(['-n', a.ns, 'link', 'add', 'name', a.ifname, 'type', 'veth', 'peer', 'name', b.ifname, 'netns', b.ns]);
    for (const end of [a, b]) {
      if (end.address !== undefined) await this.ip(['-n', end.ns, 'addr', 'add', end.address, 'dev', end.ifname]);
      await this.ip(['-n', end.ns, 'link', 'set', end.ifname, 'up']);
    }
  }

  /** Runs a command inside a namespace to completion. */
  exec(ns: string, argv: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
    this.#check(ns);
    return runCommand('ip', ['netns', 'exec', ns, ...argv], options);
  }

  /** Like exec, but rejects unless the command exits 0; resolves with its stdout. */
  async run(ns: string, argv: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
    const result = await this.exec(ns, argv, options);
    if (result.code !== 0) throw new Error(`[${ns}] ${argv.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
    return result.stdout;
  }

  /** Starts a long-lived process inside a namespace; destroy() kills it if it is still running. */
  spawn(ns: string, argv: readonly string[], options: { env?: NodeJS.ProcessEnv; name?: string } = {}): NetnsProcess {
    this.#check(ns);
    const child = new NetnsProcess({ name: options.name ?? argv.join(' '), argv: ['ip', 'netns', 'exec', ns, ...argv], env: options.env ?? process.env });
    this.#processes.push(child);
    return child;
  }

  /** The interfaces inside a namespace (read from its own /proc/self/net/dev). */
  async interfaces(ns: string): Promise<string[]> {
    return parseNetDev(await this.run(ns, ['cat', '/proc/self/net/dev']));
  }

  /** Kills every process still running (SIGKILL after a grace period), then deletes every namespace. */
  async destroy(): Promise<void> {
    await Promise.all(this.#processes.map((p) => p.stop('SIGTERM', 2000)));
    const failures: string[] = [];
    for (const name of this.#namespaces.splice(0).reverse()) {
      const result = await runCommand('ip', ['netns', 'delete', name]);
      if (result.code !== 0) failures.push(`${name}: ${result.stderr.trim()}`);
    }
    if (failures.length > 0) throw new Error(`cannot delete network namespaces: ${failures.join('; ')}`);
  }

  #check(ns: string): void {
    // Never run anything "inside" a namespace we did not make: a typo must not reach the host's namespace.
    if (!this.#namespaces.includes(ns)) throw new Error(`${ns} is not a namespace of this lab`);
  }
}

/**
 * Serves a unix socket at `path` that relays every connection to 127.0.0.1:`port` of the calling process's
 * namespace. With netns-peer's `forward` mode inside another namespace, that namespace reaches a local server (the
 * Kubernetes API emulator) without any interface being added to the test's own namespace.
 */
export async function bridgeUnixSocketToTcp(path: string, port: number): Promise<{ close(): Promise<void> }> {
  rmSync(path, { force: true });
  const server = createServer((inbound) => {
    const outbound = connect(port, '127.0.0.1');
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
