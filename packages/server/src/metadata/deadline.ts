import type { ServerResponse } from 'node:http';
import type { Clock } from '@iam4kube/shared';
import type { MetadataMetrics, WaitKind, WaitOutcome } from './metadata-metrics.js';

export interface DeadlineOptions {
  readonly clock: Clock;
  readonly metrics: MetadataMetrics;
  /** How long a request may wait for the cluster to catch up or for credentials in flight. */
  readonly waitTimeoutMs: number;
}

class DeadlinePassed extends Error {
  override readonly name = 'DeadlinePassed';
}
class ClientGone extends Error {
  override readonly name = 'ClientGone';
}

const PENDING = Symbol('pending');

/** True when the promise has already settled: `Promise.race` looks at its arguments in order. */
function settledAtOnce(promise: Promise<unknown>): Promise<boolean> {
  return Promise.race([promise, Promise.resolve(PENDING)]).then(
    (first) => first !== PENDING,
    () => true,
  );
}

/**
 * Runs `work` with a signal that aborts at the wait deadline or when the client goes away, so a waiting request
 * never outlives either. Work answered from memory costs nothing more; work that had to wait is measured (how long,
 * and how it ended). `answered` says whether a result counts as an answer (the resolver returns its best answer
 * instead of rejecting when its signal aborts).
 */
export async function withinDeadline<T>(
  o: DeadlineOptions,
  kind: WaitKind,
  res: ServerResponse,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const started = o.clock.now();
  const timer = o.clock.setTimeout(() => controller.abort(new DeadlinePassed('wait deadline passed')), o.waitTimeoutMs);
  const onClose = (): void => {
    if (!res.writableEnded) controller.abort(new ClientGone('client went away'));
  };
  res.once('close', onClose);
  const pending = work(controller.signal);
  const waited = !(await settledAtOnce(pending));
  let outcome: WaitOutcome = 'answered';
  try {
    return await pending;
  } catch (err) {
    outcome = 'failed';
    throw err;
  } finally {
    timer.cancel();
    res.off('close', onClose);
    if (waited) {
      const reason: unknown = controller.signal.reason;
      if (reason instanceof DeadlinePassed) outcome = 'deadline';
      else if (reason instanceof ClientGone) outcome = 'client-gone';
      o.metrics.waited(kind, outcome, (o.clock.now() - started) / 1000);
    }
  }
}
