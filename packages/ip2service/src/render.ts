import type { Table } from './chains.js';
import { FILTER_CHAIN, NAT_CHAIN, endpointChainName, isOwnChain } from './chains.js';
import type { DesiredState } from './desired-state.js';
import { hostCidr, hostPort } from './ip-family.js';
import { formatRuleArgs } from './rule-args.js';

/** A rule in a built-in chain that jumps to one of ours; kept at position 1 by ensureJumpFirst. */
export interface JumpRule {
  readonly table: Table;
  /** The built-in chain holding the rule. */
  readonly chain: string;
  /** The rule, in the canonical form `iptables -S` prints it, ending with `-j <our chain>`. */
  readonly args: readonly string[];
}

/** Chains present in each table now (any owner); ours among them that are no longer desired get deleted. */
export type ExistingChains = Readonly<Record<Table, readonly string[]>>;

const NO_CHAINS: ExistingChains = { nat: [], filter: [] };

/**
 * The jumps from built-in chains into ours, all restricted to metadata traffic. The filter ones come first so a
 * first install rejects before it redirects.
 * - FORWARD: pod traffic to 169.254.169.254 is routed through the node, so what was not DNATed is rejected here.
 * - INPUT: on clouds where the node itself owns the metadata address, un-DNATed pod traffic is delivered locally
 *   and never crosses FORWARD; the same chain rejects it there.
 * - nat PREROUTING: pod traffic is redirected to the server pods. The node's own processes (and hostNetwork pods)
 *   go through OUTPUT, not PREROUTING, and keep reaching the real metadata service, as with kiam and kube2iam.
 */
export function jumpRules(state: DesiredState): JumpRule[] {
  const jump = (table: Table, chain: string, target: string): JumpRule => ({
    table,
    chain,
    args: [...matchMetadata(state), ...comment(`${state.service}: metadata traffic`), '-j', target],
  });
  return [
    jump('filter', 'FORWARD', FILTER_CHAIN),
    jump('filter', 'INPUT', FILTER_CHAIN),
    jump('nat', 'PREROUTING', NAT_CHAIN),
  ];
}

/** The chains a sync creates in each table, in the order they are declared. */
export function desiredChains(state: DesiredState): Record<Table, string[]> {
  return {
    filter: [FILTER_CHAIN],
    nat: [NAT_CHAIN, ...state.backends.map((b) => endpointChainName(state.family, b))],
  };
}

/** Our chains present in `existing` that the state does not want, sorted: the ones a sync deletes. */
export function staleChains(state: DesiredState, existing: ExistingChains): Record<Table, string[]> {
  const wanted = desiredChains(state);
  const stale = (table: Table): string[] => existing[table].filter((c) => isOwnChain(c) && !wanted[table].includes(c)).sort();
  return { filter: stale('filter'), nat: stale('nat') };
}

/**
 * The complete iptables-restore input for our chains, to apply with --noflush: declaring a chain creates it or
 * flushes it, so the text alone defines every rule we own, whatever was there before, while built-in chains and
 * other owners' chains are untouched. Our chains present in `existing` but not desired are declared (flushed, which
 * drops their references to other chains of ours: nf_tables refuses to delete a referenced chain even when the
 * referencing chain is flushed in the same batch) and then deleted with -X.
 *
 * filter comes first: iptables-legacy commits table by table, so a failure in nat leaves the safety net in place.
 */
export function renderRestore(state: DesiredState, existing: ExistingChains = NO_CHAINS): string {
  const wanted = desiredChains(state);
  const stale = staleChains(state, existing);
  const lines: string[] = [];
  for (const table of ['filter', 'nat'] as const) {
    lines.push(`*${table}`);
    for (const chain of [...wanted[table], ...stale[table]]) lines.push(`:${chain} - [0:0]`);
    const rules = table === 'filter' ? filterRules(state) : natRules(state);
    for (const [chain, args] of rules) lines.push(`-A ${chain} ${formatRuleArgs(args)}`);
    for (const chain of stale[table]) lines.push(`-X ${chain}`);
    lines.push('COMMIT');
  }
  return `${lines.join('\n')}\n`;
}

type Rule = readonly [chain: string, args: readonly string[]];

/**
 * Fail closed: metadata traffic that reaches FORWARD or INPUT still addressed to the metadata address was not
 * redirected (no backends, our nat rules flushed by someone, or not yet written) and is reset at once rather than
 * reaching the node's real metadata service. DNATed traffic needs no exception: DNAT rewrote its destination to a
 * server pod before FORWARD/INPUT, so it no longer matches (no conntrack match needed).
 */
function filterRules(state: DesiredState): Rule[] {
  return [
    // Locally generated traffic to a metadata address the node owns comes back in on lo: that is the node itself
    // (kubelet, hostNetwork pods), never a pod, and it keeps its access.
    [FILTER_CHAIN, ['-i', 'lo', ...comment(`${state.service}: node-local traffic`), '-j', 'RETURN']],
    ...excludedSourceRules(state, FILTER_CHAIN),
    [
      FILTER_CHAIN,
      [
        ...matchMetadata(state),
        ...comment(`${state.service}: not redirected, rejected`),
        '-j',
        'REJECT',
        '--reject-with',
        'tcp-reset',
      ],
    ],
  ];
}

/**
 * Load balancing as kube-proxy does it: backend i of n is taken with probability 1/(n-i) among what is left, the last
 * one unconditionally. No masquerade: the server must see the caller's pod address to know who is asking, and the
 * replies come back through this node anyway because the caller lives here. With no backends the chain redirects
 * nothing and ACCEPTs: that ends the nat PREROUTING traversal, so a redirect of another owner further down the chain
 * (kube2iam's or kiam's agent, left behind or still running during a migration) cannot take the traffic either, and
 * the filter chain rejects it, still addressed to the metadata address. Fail closed means closed whoever else is
 * around.
 */
function natRules(state: DesiredState): Rule[] {
  const rules: Rule[] = excludedSourceRules(state, NAT_CHAIN);
  const n = state.backends.length;
  if (n === 0) rules.push([NAT_CHAIN, [...comment(`${state.service}: no server, kept from later redirects`), '-j', 'ACCEPT']]);
  state.backends.forEach((backend, i) => {
    const to = hostPort(state.family, backend.ip, backend.port);
    const statistic = i < n - 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', probability(n - i)] : [];
    rules.push([NAT_CHAIN, [...comment(`${state.service} -> ${to}`), ...statistic, '-j', endpointChainName(state.family, backend)]]);
  });
  for (const backend of state.backends) {
    const to = hostPort(state.family, backend.ip, backend.port);
    rules.push([
      endpointChainName(state.family, backend),
      ['-p', 'tcp', ...comment(`${state.service} -> ${to}`), '-j', 'DNAT', '--to-destination', to],
    ]);
  }
  return rules;
}

function excludedSourceRules(state: DesiredState, chain: string): Rule[] {
  return state.excludedSources.map((ip) => [
    chain,
    ['-s', hostCidr(state.family, ip), ...comment(`${state.service}: server pod, passed through`), '-j', 'RETURN'],
  ]);
}

/** In the order `iptables -S` prints the match, so the jump rules compare equal to what we read back. */
function matchMetadata(state: DesiredState): string[] {
  return ['-d', hostCidr(state.family, state.metadataAddress), '-p', 'tcp', '-m', 'tcp', '--dport', String(state.metadataPort)];
}

function comment(text: string): string[] {
  return ['-m', 'comment', '--comment', text];
}

/** Ten decimals, as kube-proxy writes them (iptables reads them back with more digits: 0.33333333349). */
function probability(remaining: number): string {
  return (1 / remaining).toFixed(10);
}

/**
 * iptables-restore input (for --noflush) that deletes every chain of ours found in `existing` and nothing else:
 * declaring flushes them (dropping the references between them), then -X deletes them. Empty when there is none.
 * The jumps from built-in chains must be gone first (removeOwnJumps), or -X fails.
 */
export function renderCleanup(existing: ExistingChains): string {
  const lines: string[] = [];
  for (const table of ['filter', 'nat'] as const) {
    const own = existing[table].filter(isOwnChain).sort();
    if (own.length === 0) continue;
    lines.push(`*${table}`, ...own.map((c) => `:${c} - [0:0]`), ...own.map((c) => `-X ${c}`), 'COMMIT');
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
