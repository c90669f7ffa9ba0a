import type { Table } from './chains.js';
import type { Exec } from './exec.js';
import type { IpFamily } from './ip-family.js';
import type { Iptables } from './iptables.js';
import { IptablesError, restoreError } from './iptables.js';
import { splitRuleLine } from './rule-args.js';

/** Which iptables backend the node uses; both binaries exist in the image, and mixing them breaks rule ordering. */
export type IptablesMode = 'nft' | 'legacy';

export interface IptablesCliOptions {
  readonly exec: Exec;
  readonly family: IpFamily;
  readonly mode: IptablesMode;
}

/** The Iptables adapter over the command-line tools: `iptables-nft`/`iptables-legacy` and their -restore. */
export function createIptablesCli(options: IptablesCliOptions): Iptables {
  const { exec, family } = options;
  const iptables = `${binaryBase(family)}-${options.mode}`;
  const restoreBinary = `${iptables}-restore`;

  /** Runs iptables with -w (wait for the xtables lock instead of failing); resolves with stdout on exit 0. */
  async function run(table: Table, args: readonly string[], okCodes: readonly number[] = [0]): Promise<{ code: number; stdout: string }> {
    const argv = ['-w', '-t', table, ...args];
    const result = await exec(iptables, argv);
    if (!okCodes.includes(result.code)) {
      throw new IptablesError({ command: [iptables, ...argv], exitCode: result.code, stderr: result.stderr });
    }
    return result;
  }

  return {
    family,
    async restore(text, restoreOptions) {
      const argv = ['-w', ...(restoreOptions.noflush ? ['--noflush'] : [])];
      const result = await exec(restoreBinary, argv, { input: text });
      if (result.code !== 0) {
        throw restoreError({ command: [restoreBinary, ...argv], exitCode: result.code, stderr: result.stderr, input: text });
      }
    },
    async listChains(table) {
      const { stdout } = await run(table, ['-S']);
      return stdout
        .split('\n')
        .map((line) => splitRuleLine(line))
        .filter((words) => (words[0] === '-P' || words[0] === '-N') && words[1] !== undefined)
        .map((words) => words[1]!);
    },
    async listRules(table, chain) {
      const { stdout } = await run(table, ['-S', chain]);
      return stdout
        .split('\n')
        .map((line) => splitRuleLine(line))
        .filter((words) => words[0] === '-A' && words[1] === chain)
        .map((words) => words.slice(2));
    },
    async checkRule(table, chain, args) {
      // Exit 1 means "no such rule" (also when the chain is missing); 2 and up are usage errors.
      const { code } = await run(table, ['-C', chain, ...args], [0, 1]);
      return code === 0;
    },
    async insertRule(table, chain, position, args) {
      await run(table, ['-I', chain, String(position), ...args]);
    },
    async deleteRule(table, chain, args) {
      await run(table, ['-D', chain, ...args]);
    },
  };
}

/**
 * Picks the backend the node already uses, like Kubernetes' iptables-wrapper: kubelet's hint chain if present,
 * else legacy if it holds at least 10 rules or more rules than nft, else nft. Reads only (iptables-save).
 */
export async function detectIptablesMode(exec: Exec): Promise<IptablesMode> {
  const save = async (mode: IptablesMode, table?: string): Promise<string> => {
    let text = '';
    for (const base of ['iptables', 'ip6tables']) {
      // A missing binary or table just counts as no rules.
      const result = await exec(`${base}-${mode}-save`, table === undefined ? [] : ['-t', table]).catch(() => undefined);
      if (result?.code === 0) text += result.stdout;
    }
    return text;
  };
  const hint = /^:KUBE-IPTABLES-HINT /m;
  if (hint.test(await save('nft', 'mangle'))) return 'nft';
  if (hint.test(await save('legacy', 'mangle'))) return 'legacy';
  const rules = (text: string): number => text.split('\n').filter((l) => l.startsWith('-')).length;
  const legacy = rules(await save('legacy'));
  if (legacy >= 10) return 'legacy';
  return legacy > rules(await save('nft')) ? 'legacy' : 'nft';
}

function binaryBase(family: IpFamily): string {
  return family === 'IPv4' ? 'iptables' : 'ip6tables';
}
