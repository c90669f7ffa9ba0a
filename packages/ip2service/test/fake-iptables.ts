import type { Table } from '../src/chains.js';
import { BUILTIN_CHAINS } from '../src/chains.js';
import type { IpFamily } from '../src/ip-family.js';
import type { Iptables } from '../src/iptables.js';
import { IptablesError, restoreError } from '../src/iptables.js';
import { formatRuleArgs, jumpTarget, sameArgs, splitRuleLine } from '../src/rule-args.js';

/** Targets that are not chains: the ones our rules and the tests use. */
const BUILTIN_TARGETS = new Set(['ACCEPT', 'DROP', 'RETURN', 'REJECT', 'DNAT', 'SNAT', 'MASQUERADE', 'MARK', 'LOG']);

type Tables = Map<Table, Map<string, string[][]>>;

/**
 * An in-memory iptables with the semantics our code relies on, as observed on iptables 1.8.9 (nft backend):
 * - restore with --noflush: declaring a user chain creates or flushes it, declaring a built-in chain does not flush
 *   it; without --noflush, `*table` first empties the table. The whole input applies or nothing does.
 * - a rule may only jump to a built-in target or an existing chain (also for insert);
 * - -X fails for a chain that is built in, missing, not empty, or referenced by a rule (nf_tables checks the
 *   references after the flushes of the same input, and so does this fake);
 * - listing or changing rules of a missing chain fails; delete and check compare rules by value.
 * Rules are compared word for word, where the real one compares them semantically: our rules are written in
 * the canonical form anyway (the netns test checks that against the real thing).
 */
export class FakeIptables implements Iptables {
  readonly family: IpFamily;
  #tables: Tables = new Map();
  /** Every call that changed something, in order, for tests that check a steady state writes nothing. */
  readonly writes: string[] = [];
  #failures: string[] = [];

  constructor(family: IpFamily = 'IPv4') {
    this.family = family;
    for (const table of Object.keys(BUILTIN_CHAINS) as Table[]) {
      this.#tables.set(table, new Map(BUILTIN_CHAINS[table].map((chain) => [chain, []])));
    }
  }

  /** Makes the next restore fail with the given stderr, as if the kernel had refused it (fault injection). */
  failNextRestore(stderr: string): void {
    this.#failures.push(stderr);
  }

  async restore(text: string, options: { readonly noflush: boolean }): Promise<void> {
    const injected = this.#failures.shift();
    const command = ['iptables-restore', '-w', ...(options.noflush ? ['--noflush'] : [])];
    if (injected !== undefined) throw restoreError({ command, exitCode: 1, stderr: injected, input: text });
    const work = cloneTables(this.#tables);
    let table: Map<string, string[][]> | undefined;
    const lines = text.split('\n');
    for (let n = 1; n <= lines.length; n++) {
      const fail = (reason: string): never => {
        throw restoreError({ command, exitCode: 1, stderr: `iptables-restore: line ${n} failed: ${reason}\n`, input: text });
      };
      const line = lines[n - 1]!.trim();
      if (line === '' || line.startsWith('#')) continue;
      if (line.startsWith('*')) {
        if (table) fail('COMMIT expected');
        table = work.get(line.slice(1) as Table) ?? fail(`unknown table ${line.slice(1)}`);
        if (!options.noflush) resetTable(table, line.slice(1) as Table);
        continue;
      }
      if (!table) return fail('not in a table');
      if (line === 'COMMIT') {
        table = undefined;
        continue;
      }
      if (line.startsWith(':')) {
        const [chain] = line.slice(1).split(' ');
        if (!chain) return fail('bad chain declaration');
        if (!isBuiltin(chain)) table.set(chain, []);
        continue;
      }
      const [op, chain, ...args] = splitRuleLine(line);
      const error = applyCommand(table, op ?? '', chain ?? '', args);
      if (error) fail(error);
    }
    if (table) throw restoreError({ command, exitCode: 1, stderr: 'iptables-restore: COMMIT expected\n', input: text });
    this.#tables = work;
    this.writes.push(`restore\n${text}`);
  }

  async listChains(table: Table): Promise<string[]> {
    return this.chains(table);
  }

  async listRules(table: Table, chain: string): Promise<string[][]> {
    return this.#chain(table, chain, ['-S', chain]).map((rule) => [...rule]);
  }

  async checkRule(table: Table, chain: string, args: readonly string[]): Promise<boolean> {
    return this.#tables.get(table)!.get(chain)?.some((rule) => sameArgs(rule, args)) ?? false;
  }

  async insertRule(table: Table, chain: string, position: number, args: readonly string[]): Promise<void> {
    this.#do(table, ['-I', chain, String(position), ...args]);
  }

  async deleteRule(table: Table, chain: string, args: readonly string[]): Promise<void> {
    this.#do(table, ['-D', chain, ...args]);
  }

  // What other actors on the node do, and what tests read back.

  /** Names of the table's chains, built-in ones first. */
  chains(table: Table): string[] {
    return [...this.#tables.get(table)!.keys()];
  }

  rules(table: Table, chain: string): string[][] {
    return this.#chain(table, chain, ['-S', chain]).map((rule) => [...rule]);
  }

  /** `iptables -t <table> -F`: empties every chain, ours included (someone "resetting the firewall"). */
  flush(table: Table): void {
    for (const rules of this.#tables.get(table)!.values()) rules.length = 0;
  }

  /** Runs one iptables command line on a table, e.g. `-I FORWARD 1 -j ACCEPT` or `-N OTHER`; throws like iptables. */
  run(table: Table, commandLine: string): void {
    this.#do(table, splitRuleLine(commandLine));
  }

  /** The table in `iptables -S` form, handy in assertion messages. */
  dump(table: Table): string {
    const lines: string[] = [];
    for (const chain of this.chains(table)) lines.push(isBuiltin(chain) ? `-P ${chain} ACCEPT` : `-N ${chain}`);
    for (const [chain, rules] of this.#tables.get(table)!) for (const rule of rules) lines.push(`-A ${chain} ${formatRuleArgs(rule)}`);
    return lines.join('\n');
  }

  #do(table: Table, words: string[]): void {
    const [op, chain, ...args] = words;
    const error = applyCommand(this.#tables.get(table)!, op ?? '', chain ?? '', args);
    if (error) throw new IptablesError({ command: ['iptables', '-w', '-t', table, ...words], exitCode: 1, stderr: `iptables: ${error}.\n` });
    this.writes.push(`${table} ${formatRuleArgs(words)}`);
  }

  #chain(table: Table, chain: string, words: string[]): string[][] {
    const rules = this.#tables.get(table)!.get(chain);
    if (!rules) {
      throw new IptablesError({ command: ['iptables', '-w', '-t', table, ...words], exitCode: 1, stderr: 'iptables: No chain/target/match by that name.\n' });
    }
    return rules;
  }
}

/** Applies one rule command to a table; returns an error message, or undefined when it worked. */
function applyCommand(table: Map<string, string[][]>, op: string, chain: string, args: string[]): string | undefined {
  const rules = table.get(chain);
  const targetMissing = (rule: string[]): boolean => {
    const target = jumpTarget(rule);
    return target !== undefined && !BUILTIN_TARGETS.has(target) && !table.has(target);
  };
  switch (op) {
    case '-N':
      if (rules) return 'Chain already exists';
      table.set(chain, []);
      return undefined;
    case '-A':
    case '-I': {
      if (!rules) return 'No chain/target/match by that name';
      const position = op === '-I' && /^\d+$/.test(args[0] ?? '') ? Number(args.shift()) : op === '-I' ? 1 : rules.length + 1;
      if (targetMissing(args)) return `Chain '${jumpTarget(args)}' does not exist`;
      if (position < 1 || position > rules.length + 1) return 'Index of insertion too big';
      rules.splice(position - 1, 0, args);
      return undefined;
    }
    case '-D': {
      const at = rules?.findIndex((rule) => sameArgs(rule, args)) ?? -1;
      if (!rules || at < 0) return 'Bad rule (does a matching rule exist in that chain?)';
      rules.splice(at, 1);
      return undefined;
    }
    case '-F':
      if (!rules) return 'No chain/target/match by that name';
      rules.length = 0;
      return undefined;
    case '-X': {
      if (!rules || isBuiltin(chain)) return 'No chain/target/match by that name';
      const referenced = [...table.values()].some((rs) => rs.some((rule) => jumpTarget(rule) === chain));
      if (rules.length > 0 || referenced) return `CHAIN_DEL failed (Device or resource busy): chain ${chain}`;
      table.delete(chain);
      return undefined;
    }
    default:
      return `unknown command ${op}`;
  }
}

function isBuiltin(chain: string): boolean {
  return /^[A-Z]+$/.test(chain) && Object.values(BUILTIN_CHAINS).some((chains) => chains.includes(chain));
}

function resetTable(table: Map<string, string[][]>, name: Table): void {
  for (const chain of [...table.keys()]) if (!BUILTIN_CHAINS[name].includes(chain)) table.delete(chain);
  for (const rules of table.values()) rules.length = 0;
}

function cloneTables(tables: Tables): Tables {
  return new Map([...tables].map(([name, chains]) => [name, new Map([...chains].map(([c, rules]) => [c, rules.map((r) => [...r])]))]));
}
