import type { Table } from '../src/chains.js';
import type { Exec, ExecResult } from '../src/exec.js';
import { IptablesError } from '../src/iptables.js';
import { formatRuleArgs } from '../src/rule-args.js';
import type { FakeIptables } from './fake-iptables.js';

/**
 * The command-line face of a FakeIptables: answers `<binary> -w -t T -S [CHAIN]`, `-C`, `-I`, `-D` and
 * `<binary>-restore -w [--noflush]` the way iptables 1.8.9 prints and exits, so the CLI adapter can be tested without
 * root. Only `binary` is answered (a wrong binary name fails like a missing program); every call is recorded.
 */
export function fakeIptablesExec(fake: FakeIptables, binary: string, calls: string[][] = []): Exec {
  return async (file, args, options) => {
    calls.push([file, ...args]);
    if (file !== binary && file !== `${binary}-restore`) throw Object.assign(new Error(`spawn ${file} ENOENT`), { code: 'ENOENT' });
    try {
      if (file.endsWith('-restore')) {
        if (args[0] !== '-w') return usage();
        await fake.restore(options?.input ?? '', { noflush: args.includes('--noflush') });
        return ok('');
      }
      const [w, t, table, op, chain, ...rest] = args as [string, string, Table, string, string | undefined, ...string[]];
      if (w !== '-w' || t !== '-t') return usage();
      switch (op) {
        case '-S':
          if (chain === undefined) return ok(`${fake.dump(table)}\n`);
          return ok(
            `${[`-P ${chain} ACCEPT`, ...(await fake.listRules(table, chain)).map((r) => `-A ${chain} ${formatRuleArgs(r)}`)].join('\n')}\n`,
          );
        case '-C':
          return (await fake.checkRule(table, chain!, rest))
            ? ok('')
            : { code: 1, stdout: '', stderr: 'iptables: Bad rule (does a matching rule exist in that chain?).\n' };
        case '-I':
          await fake.insertRule(table, chain!, Number(rest[0]), rest.slice(1));
          return ok('');
        case '-D':
          await fake.deleteRule(table, chain!, rest);
          return ok('');
        default:
          return usage();
      }
    } catch (error) {
      if (error instanceof IptablesError) return { code: error.exitCode, stdout: '', stderr: error.stderr };
      throw error;
    }
  };
}

function ok(stdout: string): ExecResult {
  return { code: 0, stdout, stderr: '' };
}

function usage(): ExecResult {
  return { code: 2, stdout: '', stderr: "Try `iptables -h' or 'iptables --help' for more information.\n" };
}
