/**
 * The STS emulator's HTTP adapter: AWS Query protocol on 127.0.0.1, faults applied to sockets, every call
 * recorded. Protocol logic lives in pure modules (dispatch.ts and below); this file only moves bytes.
 */
import { setMaxListeners } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { checkRoleConfig } from './actions.js';
import type { RoleConfig } from './actions.js';
import { CallLog, callParams } from './call-log.js';
import type { StsCall, StsCallFilter } from './call-log.js';
import { dispatch } from './dispatch.js';
import { createFaultState } from './faults.js';
import type { FaultState, StsFaults } from './faults.js';
import { createIdentityStore } from './identity-store.js';
import type { BaseCredentials, IdentityStore, IssuedCredentials } from './identity-store.js';
import { newRequestId } from './ids.js';
import type { RandomSource } from './ids.js';
import { parseQueryParams } from './query-params.js';

const MAX_BODY_BYTES = 1024 * 1024;

export interface StsEmulatorOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
  /** The emulator's clock (milliseconds since the epoch): expiry, the signing window and the `Date` header. */
  readonly now?: () => number;
  /** Account of the default base principal; default '123456789012'. */
  readonly accountId?: string;
  readonly baseCredentials?: readonly BaseCredentials[];
  readonly roles?: Readonly<Record<string, RoleConfig>>;
  /** Whether well-formed role ARNs absent from `roles` may be assumed (default 'allow', like moto). */
  readonly unknownRoles?: 'allow' | 'deny';
  readonly random?: RandomSource;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error('request body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Splits the raw request target; URL parsing would normalize the path and re-encode the query, breaking SigV4. */
function splitTarget(target: string): { path: string; query: string } {
  const at = target.indexOf('?');
  return at < 0 ? { path: target, query: '' } : { path: target.slice(0, at), query: target.slice(at + 1) };
}

export class StsEmulator {
  readonly url: string;
  readonly endpoint: string;
  readonly port: number;
  readonly accountId: string;
  readonly faults: StsFaults;

  readonly #server: Server;
  readonly #options: StsEmulatorOptions;
  readonly #now: () => number;
  readonly #store: IdentityStore;
  readonly #faults: FaultState = createFaultState();
  readonly #log = new CallLog();
  /** Aborts the answers held back by a latency fault when the emulator closes. */
  readonly #closing = new AbortController();
  #closed: Promise<void> | undefined;
  #inFlight = 0;
  #inFlightWaiters: Array<{ count: number; resolve(): void; reject(err: Error): void }> = [];

  private constructor(server: Server, options: StsEmulatorOptions) {
    this.#server = server;
    this.#options = options;
    // Every answer held back listens on it (one per request in flight; the bench holds a hundred): not a leak.
    setMaxListeners(0, this.#closing.signal);
    this.#now = options.now ?? Date.now;
    this.accountId = options.accountId ?? '123456789012';
    this.#store = createIdentityStore({
      accountId: this.accountId,
      baseCredentials: options.baseCredentials ?? [],
      ...(options.random !== undefined && { random: options.random }),
    });
    this.faults = this.#faults.controls;
    this.port = (server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}`;
    this.endpoint = this.url;
  }

  static async start(options: StsEmulatorOptions = {}): Promise<StsEmulator> {
    checkRoleConfig(options.roles ?? {});
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const emulator = new StsEmulator(server, options);
    server.on('request', (req, res) => emulator.#onRequest(req, res));
    return emulator;
  }

  /** Every request answered (or dropped) so far, oldest first. */
  get calls(): StsCall[] {
    return this.#log.all();
  }

  /** Every credential set AssumeRole issued so far, oldest first. */
  get issued(): readonly IssuedCredentials[] {
    return this.#store.issued();
  }

  countCalls(action: string, filter?: StsCallFilter): number {
    return this.#log.count(action, filter);
  }

  /** Resolves with the matching calls once `count` calls of `action` matching `filter` have been recorded. */
  waitForCalls(action: string, count: number, filter: StsCallFilter = () => true): Promise<StsCall[]> {
    return this.#log.waitFor(count, (c) => c.action === action && filter(c));
  }

  /** Requests fully received and not yet answered (held by latency, or hanging in an outage). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Resolves once at least `count` requests are in flight: lets a test know its request is held by a fault. */
  waitForInFlight(count = 1): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('STS emulator closed'));
    if (this.#inFlight >= count) return Promise.resolve();
    return new Promise((resolve, reject) => this.#inFlightWaiters.push({ count, resolve, reject }));
  }

  /** Stops listening, drops open connections (including hanging ones) and cancels pending latency. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#closing.abort();
      this.#log.close();
      for (const w of this.#inFlightWaiters) w.reject(new Error('STS emulator closed'));
      this.#inFlightWaiters = [];
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.#handle(req, res).catch(() => {
      // The client went away or the emulator closed mid-request: there is nobody left to answer.
      if (!res.headersSent) res.destroy();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    const body = await readBody(req);
    const { path, query } = splitTarget(req.url ?? '/');
    const form = /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '');
    const params = parseQueryParams(query, form ? body.toString('utf8') : '');
    const record = (call: Omit<StsCall, 'action' | 'params' | 'at'>): void =>
      this.#log.record({ action: params.get('Action') ?? '', params: callParams(params), at: this.#now(), ...call });

    this.#inFlight += 1;
    res.once('close', () => (this.#inFlight -= 1));
    this.#inFlightWaiters = this.#inFlightWaiters.filter((w) => w.count > this.#inFlight || (w.resolve(), false));

    const latency = this.#faults.latencyMs();
    if (latency > 0) {
      try {
        await delay(latency, undefined, { signal: this.#closing.signal });
      } catch (err) {
        record({ outcome: 'dropped' }); // the emulator closed while the answer was held back
        throw err;
      }
    }
    const outage = this.#faults.outageMode();
    if (outage === 'reset' || outage === 'hang') {
      record({ outcome: 'dropped' });
      if (outage === 'reset') req.socket.resetAndDestroy();
      return; // 'hang': the socket stays open until the client gives up or the emulator closes.
    }

    const now = this.#now();
    const answer = dispatch({ method: req.method ?? 'GET', path, query, headers: req.headersDistinct, body }, params, requestId, {
      now,
      accountId: this.accountId,
      store: this.#store,
      roles: this.#options.roles ?? {},
      unknownRoles: this.#options.unknownRoles ?? 'allow',
      faults: this.#faults,
      unavailable: outage === '503',
    });
    // Recorded before the answer leaves, so a client that has its answer also finds the call in the log.
    record({
      outcome: answer.error ? 'error' : 'ok',
      status: answer.status,
      requestId,
      ...(answer.error && { errorCode: answer.error.code }),
      ...(answer.caller && { callerArn: answer.caller.principal.arn, accessKeyId: answer.caller.accessKeyId }),
    });
    res.writeHead(answer.status, {
      'x-amzn-RequestId': requestId,
      'Content-Type': 'text/xml',
      'Content-Length': Buffer.byteLength(answer.body),
      // AWS's clock, from which SDKs correct their skew.
      Date: new Date(now).toUTCString(),
    });
    res.end(answer.body);
  }
}

export function startStsEmulator(options: StsEmulatorOptions = {}): Promise<StsEmulator> {
  return StsEmulator.start(options);
}
