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
export type { Ip2serviceArgs, Ip2serviceCommand, Ip2serviceConfig } from './config.js';
export { IP2SERVICE_USAGE, ip2serviceFlags, parseIp2serviceArgs } from './config.js';
export type { Ip2serviceOverrides, RunningIp2service } from './app.js';
export { startIp2service } from './app.js';
export type { CleanupOverrides, CleanupReport } from './cleanup.js';
export { runCleanup } from './cleanup.js';
export type { ConntrackFlushResult, ConntrackTarget } from './conntrack.js';
export { flushConntrack } from './conntrack.js';
export type { Ip2serviceMetrics, Ip2serviceMetricsOptions } from './metrics.js';
export { createIp2serviceMetrics } from './metrics.js';
export type { JsonPatchOperation, NodeClient, NodeLike, RemoveTaintOptions, TaintLike } from './node-taint.js';
export { removeNodeTaint, taintRemovalPatch } from './node-taint.js';
export { createKubeNodeClient } from './kube-node-client.js';
export type { SyncProbesOptions, SyncStatus } from './probes.js';
export { createSyncProbes, syncAgeMs } from './probes.js';
export type { EndpointSliceCacheOptions } from './slice-cache.js';
export { EndpointSliceCache, projectSlice } from './slice-cache.js';
