export type { Table } from './chains.js';
export { BUILTIN_CHAINS, CHAIN_PREFIX, FILTER_CHAIN, NAT_CHAIN, endpointChainName, isOwnChain } from './chains.js';
export type { DesiredState, DesiredStateInput } from './desired-state.js';
export { createDesiredState } from './desired-state.js';
export type {
  Backend,
  EndpointLike,
  EndpointPortLike,
  EndpointSelection,
  EndpointSelector,
  EndpointSliceLike,
} from './endpoints.js';
export { SERVICE_NAME_LABEL, selectEndpoints } from './endpoints.js';
export type { Exec, ExecResult, SpawnExecOptions } from './exec.js';
export { createSpawnExec } from './exec.js';
export type { IpFamily } from './ip-family.js';
export type { IptablesCliOptions, IptablesMode } from './iptables-cli.js';
export { createIptablesCli, detectIptablesMode } from './iptables-cli.js';
export type { Iptables, IptablesErrorDetails } from './iptables.js';
export { IptablesError } from './iptables.js';
export { ensureJumpFirst, removeOwnJumps } from './jumps.js';
export type { ExistingChains, JumpRule } from './render.js';
export { desiredChains, jumpRules, renderCleanup, renderRestore, staleChains } from './render.js';
export type { SyncReason, SyncRunnerOptions } from './sync-runner.js';
export { SyncRunner } from './sync-runner.js';
export type { SyncReport, Syncer, SyncerOptions } from './syncer.js';
export { createSyncer } from './syncer.js';
