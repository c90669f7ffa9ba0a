import { Writable } from 'node:stream';
import { setMaxListeners } from 'node:events';
import { createLogger, type Clock, type Logger } from '@iam4kube/shared';
import { CredentialsError, type AssumeRoleRequest, type Assumer, type Credentials } from '../../src/credentials/credentials.js';
import type { SessionRequest } from '../../src/credentials/session-request.js';

export const MIN = 60_000;

/**
 * A fake STS that behaves like the real one, on the test's clock: it answers at once (or holds calls when told),
 * refuses roles it was told to deny, throttles or fails like an outage, and grants the duration asked for up to a
 * role's maximum. Every call is recorded with the clock time.
 */
export class FakeSts implements Assumer {
  readonly calls: Array<AssumeRoleRequest & { at: number }> = [];
  mode: 'ok' | 'throttle' | 'outage' | 'hang' | 'hold' = 'ok';
  readonly denied = new Set<string>();
  /** MaxSessionDuration per role ARN, in seconds (default: anything). */
  readonly maxDuration = new Map<string, number>();
  /** Life of issued credentials, when shorter than asked (ms). */
  grantMs: number | undefined;
  readonly held: Array<{ request: AssumeRoleRequest; answer: () => void }> = [];
  #issued = 0;

  constructor(readonly clock: Clock) {}

  assumeRole(request: AssumeRoleRequest, signal?: AbortSignal): Promise<Credentials> {
    this.calls.push({ ...request, at: this.clock.now() });
    return new Promise((resolve, reject) => {
      signal?.addEventListener('abort', () => reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' })), { once: true });
      const answer = (): void => {
        if (this.denied.has(request.roleArn)) {
          reject(Object.assign(new Error(`User is not authorized to perform: sts:AssumeRole on resource: ${request.roleArn}`), { name: 'AccessDenied' }));
          return;
        }
        const max = this.maxDuration.get(request.roleArn);
        if (max !== undefined && request.durationSeconds > max) {
          reject(Object.assign(new Error('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.'), { name: 'ValidationError' }));
          return;
        }
        const now = this.clock.now();
        const n = ++this.#issued;
        resolve({ accessKeyId: `ASIA${n}`, secretAccessKey: `secret${n}`, sessionToken: `token${n}`, issuedAt: now, expiration: now + (this.grantMs ?? request.durationSeconds * 1000) });
      };
      switch (this.mode) {
        case 'ok':
          return answer();
        case 'hold':
          this.held.push({ request, answer });
          return;
        case 'throttle':
          return reject(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
        case 'outage':
          return reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));
        case 'hang':
          return;
      }
    });
  }

  answerHeld(): void {
    for (const h of this.held.splice(0)) h.answer();
  }

  callsFor(roleArn: string): number {
    return this.calls.filter((c) => c.roleArn === roleArn).length;
  }
}

/** A logger whose lines the test can read, and wait for (event-driven: checked as each line is written). */
export function captureLogger(): {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
  logged(msg: string, count?: number): Promise<Array<Record<string, unknown>>>;
} {
  const lines: Array<Record<string, unknown>> = [];
  let waiters: Array<() => boolean> = [];
  const logger = createLogger({
    level: 'debug',
    stream: new Writable({
      write(chunk, _e, cb) {
        for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        waiters = waiters.filter((settled) => !settled());
        cb();
      },
    }),
  });
  const logged = (msg: string, count = 1): Promise<Array<Record<string, unknown>>> =>
    new Promise((resolve) => {
      const settled = (): boolean => {
        const found = lines.filter((l) => l.msg === msg);
        if (found.length < count) return false;
        resolve(found);
        return true;
      };
      if (!settled()) waiters.push(settled);
    });
  return { logger, lines, logged };
}

/** The session of ServiceAccount `namespace/name` bound to role `role` in account 123456789012. */
export function session(namespace: string, name: string, role = 'demo-role', extra: Partial<SessionRequest> = {}): SessionRequest {
  return {
    roleArn: `arn:aws:iam::123456789012:role/${role}`,
    externalId: undefined,
    sessionName: `${namespace}@${name}`,
    tags: [],
    sourceIdentity: undefined,
    namespace,
    serviceAccount: name,
    serviceAccountUid: `uid-sa-${name}`,
    ...extra,
  };
}

/** A signal that never aborts, shared by many requests. */
export function neverAborts(): AbortSignal {
  const signal = new AbortController().signal;
  setMaxListeners(0, signal);
  return signal;
}

/** A deterministic PRNG in [0, 1) (mulberry32), for jitter that the test can reason about. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function isCredentialsError(err: unknown, code: string): boolean {
  return err instanceof CredentialsError && err.code === code;
}
