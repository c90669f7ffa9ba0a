import type { Table } from './chains.js';
import { BUILTIN_CHAINS, isOwnChain } from './chains.js';
import type { Iptables } from './iptables.js';
import type { JumpRule } from './render.js';
import { jumpTarget, sameArgs } from './rule-args.js';

/**
 * Makes `jump` the first rule of its built-in chain, and the only rule there jumping to its target. Position 1
 * matters: a rule above ours that ACCEPTs (a CNI's FORWARD chain, kube-proxy's) would let metadata traffic past the
 * reject. Built-in chains are never flushed or rewritten: only our rules in them are added or removed, by value,
 * never by number (another agent may be inserting at the same time). Returns whether anything was changed.
 */
export async function ensureJumpFirst(iptables: Iptables, jump: JumpRule): Promise<boolean> {
  const target = jumpTarget(jump.args);
  if (target === undefined || !isOwnChain(target)) throw new Error(`not a jump to one of our chains: ${jump.args.join(' ')}`);
  const rules = await iptables.listRules(jump.table, jump.chain);
  const ours = rules.filter((rule) => jumpTarget(rule) === target);
  const first = rules[0];
  // Our rules are written in the form `iptables -S` prints; -C covers an iptables that prints them differently.
  const present = ours.some((rule) => sameArgs(rule, jump.args)) || (await iptables.checkRule(jump.table, jump.chain, jump.args));
  if (present && ours.length === 1 && first !== undefined && jumpTarget(first) === target) return false;
  if (!present) {
    // Nothing equal to the new rule yet: insert it first, then drop outdated variants (say, an old metadata port),
    // so there is no moment without a jump.
    await iptables.insertRule(jump.table, jump.chain, 1, jump.args);
    for (const rule of ours) await iptables.deleteRule(jump.table, jump.chain, rule);
    return true;
  }
  // Present but not first, or duplicated: deleting by value removes the first equal rule, so inserting first would
  // delete the new one. Delete, then insert; the gap is two commands long.
  for (const rule of ours) await iptables.deleteRule(jump.table, jump.chain, rule);
  await iptables.insertRule(jump.table, jump.chain, 1, jump.args);
  return true;
}

/** Deletes every rule of the built-in chains that jumps to one of our chains; returns how many. */
export async function removeOwnJumps(iptables: Iptables): Promise<number> {
  let removed = 0;
  for (const table of Object.keys(BUILTIN_CHAINS) as Table[]) {
    for (const chain of BUILTIN_CHAINS[table]) {
      for (const rule of await iptables.listRules(table, chain)) {
        const target = jumpTarget(rule);
        if (target === undefined || !isOwnChain(target)) continue;
        await iptables.deleteRule(table, chain, rule);
        removed++;
      }
    }
  }
  return removed;
}
