import type { Exec } from './exec.js';

export type ConntrackFlushResult =
  | { readonly kind: 'flushed'; readonly entries: number }
  | { readonly kind: 'nothing' }
  /** The conntrack binary is not installed. */
  | { readonly kind: 'missing' }
  | { readonly kind: 'failed'; readonly message: string };

export interface ConntrackTarget {
  readonly address: string;
  readonly port: number;
}

/**
 * Deletes the connection-tracking entries of TCP flows to the metadata address (`conntrack -D`), so a flow opened
 * before our rules existed cannot live on past them: the nat table is consulted only for a flow's first packet.
 * conntrack exits 1 when nothing matched, which is not an error.
 */
export async function flushConntrack(exec: Exec, target: ConntrackTarget): Promise<ConntrackFlushResult> {
  const args = ['-D', '-d', target.address, '-p', 'tcp', '--dport', String(target.port)];
  let result;
  try {
    result = await exec('conntrack', args);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'failed', message: (error as Error).message };
  }
  // "conntrack v1.4.7 (conntrack-tools): 2 flow entries have been deleted."
  const entries = Number(/(\d+) flow entr(?:y|ies) ha(?:s|ve) been deleted/.exec(result.stderr)?.[1] ?? 0);
  if (result.code === 0) return entries > 0 ? { kind: 'flushed', entries } : { kind: 'nothing' };
  if (result.code === 1 && entries === 0 && !/error|invalid|permission|not permitted/i.test(result.stderr)) return { kind: 'nothing' };
  return { kind: 'failed', message: `conntrack ${args.join(' ')} exited with ${result.code}: ${result.stderr.trim() || 'no message'}` };
}
