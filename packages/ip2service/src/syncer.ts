import type { DesiredState } from './desired-state.js';
import type { Iptables } from './iptables.js';
import { ensureJumpFirst, removeOwnJumps } from './jumps.js';
import type { ExistingChains } from './render.js';
import { jumpRules, renderCleanup, renderRestore, staleChains } from './render.js';

export interface SyncerOptions {
  readonly iptables: Iptables;
  /** Called once per sync: the state to make true, from whatever the event handlers recorded. */
  readonly desiredState: () => DesiredState;
}

export interface SyncReport {
  readonly backends: number;
  /** Chains of ours that were no longer wanted and were deleted. */
  readonly staleChainsDeleted: number;
  /**
   * Jump rules that had to be (re)inserted. Non-zero after the first sync means someone flushed our rules or put a
   * rule above ours: worth a log line and a metric.
   */
  readonly jumpsRepaired: number;
}

export interface Syncer {
  /** One full sync: render everything we own, apply it in one iptables-restore call, then fix the jumps. */
  sync(): Promise<SyncReport>;
  /** Removes everything we own (jumps first, then our chains) and nothing else. */
  cleanup(): Promise<void>;
}

export function createSyncer(options: SyncerOptions): Syncer {
  const { iptables } = options;

  async function existingChains(): Promise<ExistingChains> {
    return { filter: await iptables.listChains('filter'), nat: await iptables.listChains('nat') };
  }

  return {
    async sync() {
      const state = options.desiredState();
      if (state.family !== iptables.family) throw new Error(`desired state is ${state.family}, iptables is ${iptables.family}`);
      const existing = await existingChains();
      // Chains first, jumps after: a jump to a chain that does not exist yet is refused.
      await iptables.restore(renderRestore(state, existing), { noflush: true });
      let jumpsRepaired = 0;
      for (const jump of jumpRules(state)) {
        if (await ensureJumpFirst(iptables, jump)) jumpsRepaired++;
      }
      const stale = staleChains(state, existing);
      const staleChainsDeleted = stale.filter.length + stale.nat.length;
      return { backends: state.backends.length, staleChainsDeleted, jumpsRepaired };
    },
    async cleanup() {
      await removeOwnJumps(iptables);
      const text = renderCleanup(await existingChains());
      if (text !== '') await iptables.restore(text, { noflush: true });
    },
  };
}
