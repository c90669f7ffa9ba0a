import type { Clock } from '@iam4kube/shared';
import { CredentialsError, type AssumeRoleRequest, type Assumer, type Credentials } from './credentials.js';

export interface BoundedCall {
  readonly result: Promise<Credentials>;
  /** Ends the call now with `error` and aborts the request on the wire. */
  cancel(error: CredentialsError): void;
}

/**
 * One AssumeRole bounded by `timeoutMs` on the injected clock: past it the call fails with a transient `Timeout`
 * and the SDK request is aborted, so a hanging STS never holds an entry's singleflight forever.
 */
export function assumeWithin(assumer: Assumer, request: AssumeRoleRequest, clock: Clock, timeoutMs: number): BoundedCall {
  const controller = new AbortController();
  let cancel!: (error: CredentialsError) => void;
  const result = new Promise<Credentials>((resolve, reject) => {
    let done = false;
    const finish = (settle: () => void): void => {
      if (done) return;
      done = true;
      timer.cancel();
      settle();
    };
    cancel = (error) =>
      finish(() => {
        reject(error);
        controller.abort(error);
      });
    const timer = clock.setTimeout(() => cancel(new CredentialsError(`STS did not answer within ${timeoutMs} ms`, 'Timeout', false)), timeoutMs);
    assumer.assumeRole(request, controller.signal).then(
      (c) => finish(() => resolve(c)),
      (e: unknown) => finish(() => reject(e as Error)),
    );
  });
  return { result, cancel };
}
