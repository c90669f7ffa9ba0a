import type { Table } from './chains.js';
import type { IpFamily } from './ip-family.js';

/**
 * What the syncer needs from iptables, one method per command, no logic: the decisions (what to write, where the
 * jumps go) are made by the pure core and by jumps.ts, which take this interface so tests can hand them a fake.
 * Rules are argument lists, as `iptables -S` prints them after `-A <chain>`.
 */
export interface Iptables {
  readonly family: IpFamily;
  /** Feeds `text` to iptables-restore in one call (`--noflush`: declared chains are flushed, others kept). */
  restore(text: string, options: { readonly noflush: boolean }): Promise<void>;
  /** Names of all chains of the table, built-in ones first. */
  listChains(table: Table): Promise<string[]>;
  /** The rules of one chain, in order; fails if the chain does not exist. */
  listRules(table: Table, chain: string): Promise<string[][]>;
  /** Whether the chain holds a rule equal to `args` (`iptables -C`). */
  checkRule(table: Table, chain: string, args: readonly string[]): Promise<boolean>;
  /** Inserts a rule at `position` (1 is first). */
  insertRule(table: Table, chain: string, position: number, args: readonly string[]): Promise<void>;
  /** Deletes the first rule equal to `args`; fails if there is none. */
  deleteRule(table: Table, chain: string, args: readonly string[]): Promise<void>;
}

export interface IptablesErrorDetails {
  /** The command line that failed, for logs. */
  readonly command: readonly string[];
  readonly exitCode: number;
  readonly stderr: string;
  /** For iptables-restore: the input line it blamed, and the input lines around it, numbered. */
  readonly line?: number;
  readonly context?: string;
}

export class IptablesError extends Error {
  readonly command: readonly string[];
  readonly exitCode: number;
  readonly stderr: string;
  readonly line: number | undefined;
  readonly context: string | undefined;

  constructor(details: IptablesErrorDetails) {
    // nft splits one message over lines ("...(nf_tables): " then "line 5: CHAIN_DEL failed"); drop warnings and usage.
    const reason = details.stderr
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('Try `'))
      .join(' ');
    const where = details.context === undefined ? '' : `\n${details.context}`;
    super(`${details.command.join(' ')} exited with ${details.exitCode}: ${reason || 'no message'}${where}`);
    this.name = 'IptablesError';
    this.command = details.command;
    this.exitCode = details.exitCode;
    this.stderr = details.stderr;
    this.line = details.line;
    this.context = details.context;
  }
}

/**
 * Builds the error for a failed iptables-restore, finding the input line it blamed. The forms seen from
 * iptables 1.8 (legacy and nft): "line 5 failed", "line 3: CHAIN_DEL failed (...)", "Error occurred at line: 7".
 */
export function restoreError(details: { command: readonly string[]; exitCode: number; stderr: string; input: string }): IptablesError {
  const match = /line:? (\d+)/.exec(details.stderr);
  const base = { command: details.command, exitCode: details.exitCode, stderr: details.stderr };
  if (!match) return new IptablesError(base);
  const line = Number(match[1]);
  return new IptablesError({ ...base, line, context: linesAround(details.input, line, 2) });
}

/** Input lines line-radius..line+radius, numbered, the blamed one marked with `>`. */
function linesAround(text: string, line: number, radius: number): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let n = Math.max(1, line - radius); n <= Math.min(lines.length, line + radius); n++) {
    if (n === lines.length && lines[n - 1] === '') break; // the empty string after the final newline
    out.push(`${n === line ? '>' : ' '} ${String(n).padStart(4)}  ${lines[n - 1]}`);
  }
  return out.join('\n');
}
