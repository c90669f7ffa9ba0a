import { sleep, type Clock, type Logger } from '@iam4kube/shared';

/** The parts of a Node we read. */
export interface NodeLike {
  readonly metadata?: { readonly name?: string };
  readonly spec?: { readonly taints?: readonly TaintLike[] | null };
}

export interface TaintLike {
  readonly key?: string;
  readonly effect?: string;
  readonly value?: string;
}

/** One RFC 6902 operation. */
export type JsonPatchOperation =
  | { readonly op: 'test'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string };

/** What taint removal needs from the Kubernetes API: read a Node, JSON-patch it. */
export interface NodeClient {
  getNode(name: string, signal: AbortSignal): Promise<NodeLike>;
  /** Rejects with an error carrying `status` (e.g. 422 when a test operation failed). */
  patchNode(name: string, operations: readonly JsonPatchOperation[], signal: AbortSignal): Promise<void>;
}

/**
 * The JSON patch that removes every taint with `key` (whatever its effect), or undefined when there is none. Each
 * removal is guarded by a test of the key at that index, so a concurrent change of the taint list (kubelet, the node
 * lifecycle controller) makes the API server refuse the patch instead of removing someone else's taint; the caller
 * reads the Node again and retries. Removals run from the last index down so earlier indexes stay valid.
 */
export function taintRemovalPatch(node: NodeLike, key: string): JsonPatchOperation[] | undefined {
  const taints = node.spec?.taints ?? [];
  const operations: JsonPatchOperation[] = [];
  for (let i = taints.length - 1; i >= 0; i--) {
    if (taints[i]?.key !== key) continue;
    operations.push({ op: 'test', path: `/spec/taints/${i}/key`, value: key }, { op: 'remove', path: `/spec/taints/${i}` });
  }
  return operations.length === 0 ? undefined : operations;
}

export interface RemoveTaintOptions {
  readonly client: NodeClient;
  readonly nodeName: string;
  readonly key: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** Delays between attempts: initial, doubled each time, capped; attempts go on until success or abort. */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
}

/**
 * Removes the taint from the Node, retrying (conflicts, API errors) until it is gone or the signal aborts. Resolves
 * true once the Node carries no taint with the key, false when aborted first; never rejects.
 */
export async function removeNodeTaint(options: RemoveTaintOptions): Promise<boolean> {
  const { client, nodeName, key, logger, signal } = options;
  let delay = options.retryInitialMs ?? 1000;
  const maxDelay = options.retryMaxMs ?? 30_000;
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      const patch = taintRemovalPatch(await client.getNode(nodeName, signal), key);
      if (patch === undefined) {
        logger.info({ node: nodeName, taint: key, attempt }, 'node does not carry the taint (any more)');
        return true;
      }
      await client.patchNode(nodeName, patch, signal);
      logger.info({ node: nodeName, taint: key, attempt }, 'taint removed from the node: pods may be scheduled here now');
      return true;
    } catch (error) {
      if (signal.aborted) break;
      logger.warn({ node: nodeName, taint: key, attempt, retryInMs: delay, err: (error as Error).message }, 'cannot remove the taint, retrying');
    }
    try {
      await sleep(options.clock, delay, signal);
    } catch {
      break; // aborted while waiting
    }
    delay = Math.min(maxDelay, delay * 2);
  }
  return false;
}
