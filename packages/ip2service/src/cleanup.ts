import type { DestinationStream } from 'pino';

import { createLogger } from '@iam4kube/shared';

import { CHAIN_PREFIX } from './chains.js';
import type { Ip2serviceConfig } from './config.js';
import { createSpawnExec, type Exec } from './exec.js';
import type { IpFamily } from './ip-family.js';
import { createIptablesCli, type IptablesMode } from './iptables-cli.js';
import { removeOwnJumps } from './jumps.js';
import { renderCleanup } from './render.js';

const FAMILY: IpFamily = 'IPv4';
const MODES: readonly IptablesMode[] = ['nft', 'legacy'];

export interface CleanupOverrides {
  readonly exec?: Exec;
  readonly logStream?: DestinationStream;
}

export interface CleanupReport {
  /** The backends that held something of ours and were cleaned. */
  readonly modes: readonly IptablesMode[];
  readonly jumpsRemoved: number;
  readonly chainsRemoved: number;
}

/**
 * `ip2service cleanup`: removes every jump to our chains from the built-in chains, then our chains, and touches
 * nothing else. With --iptables-mode=auto it looks in both backends (read-only, with iptables-*-save) and cleans
 * each one holding a chain of ours: the agent may have written with either, and auto-detection could now choose
 * differently. Rejects when iptables fails (the binary exits 1).
 */
export async function runCleanup(config: Pick<Ip2serviceConfig, 'iptablesMode' | 'logLevel'>, overrides: CleanupOverrides = {}): Promise<CleanupReport> {
  const logger = createLogger({ level: config.logLevel, base: { app: 'ip2service' }, ...(overrides.logStream ? { stream: overrides.logStream } : {}) });
  const exec = overrides.exec ?? createSpawnExec({ timeoutMs: 30_000 });
  const modes = config.iptablesMode === 'auto' ? await modesWithOwnChains(exec) : [config.iptablesMode];
  let jumpsRemoved = 0;
  let chainsRemoved = 0;
  for (const mode of modes) {
    const iptables = createIptablesCli({ exec, family: FAMILY, mode });
    // Jumps first: a chain still referenced cannot be deleted.
    const jumps = await removeOwnJumps(iptables);
    const existing = { filter: await iptables.listChains('filter'), nat: await iptables.listChains('nat') };
    const text = renderCleanup(existing);
    if (text !== '') await iptables.restore(text, { noflush: true });
    const chains = (text.match(/^-X /gm) ?? []).length;
    logger.info({ iptablesMode: mode, jumpsRemoved: jumps, chainsRemoved: chains }, 'removed our rules and chains');
    jumpsRemoved += jumps;
    chainsRemoved += chains;
  }
  if (modes.length === 0) logger.info('no rule or chain of ours found (nft and legacy): nothing to clean up');
  return { modes, jumpsRemoved, chainsRemoved };
}

/** The backends whose iptables-save output mentions one of our chains; a missing binary counts as none. */
async function modesWithOwnChains(exec: Exec): Promise<IptablesMode[]> {
  const found: IptablesMode[] = [];
  for (const mode of MODES) {
    const result = await exec(`iptables-${mode}-save`, []).catch(() => undefined);
    if (result?.code === 0 && result.stdout.includes(CHAIN_PREFIX)) found.push(mode);
  }
  return found;
}
