import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { closeServer, createUniformServer, listen, type Clock, type Logger } from '@iam4kube/shared';
import type { MetadataMetrics } from './metadata-metrics.js';

export interface MetadataServerOptions {
  readonly host: string;
  readonly port: number;
  readonly handler: RequestListener;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: MetadataMetrics;
  /** After the listener closes, how long in-flight requests (waiting ones included) may take before being cut. */
  readonly drainTimeoutMs: number;
  /** Tests shorten the timeouts. */
  readonly limits?: Partial<ServerLimits>;
}

export interface ServerLimits {
  readonly maxHeaderSize: number;
  readonly headersTimeout: number;
  readonly requestTimeout: number;
  readonly connectionsCheckingInterval: number;
  readonly keepAliveTimeout: number;
}

/** Node's limits, tightened: a pod's SDK sends a few hundred bytes of headers and no body. */
export const LIMITS: ServerLimits = {
  maxHeaderSize: 16 * 1024,
  headersTimeout: 10_000, // slowloris: the headers must arrive within this
  requestTimeout: 30_000, // the whole request (no body here) must arrive within this
  connectionsCheckingInterval: 1000, // how often the two timeouts above are enforced
  keepAliveTimeout: 5000, // idle keep-alive connections close after this
};

const STATUS_TEXT: Readonly<Record<number, string>> = { 400: 'Bad Request', 405: 'Method Not Allowed', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/**
 * The metadata port: a Node HTTP server with tight limits, a clear 4xx for whatever its parser refuses, and a
 * graceful stop: drain() makes every response close its connection (so clients reconnect, through ip2service, to a
 * replica that is still ready), stop() stops accepting, closes idle keep-alive sockets, lets in-flight requests end
 * within the drain bound and then cuts what is left.
 */
export class MetadataServer {
  readonly #o: MetadataServerOptions;
  readonly #server: Server;
  #draining = false;
  /** Responses whose headers are not sent yet: drain() marks them too. */
  readonly #open = new Set<ServerResponse>();

  constructor(options: MetadataServerOptions) {
    this.#o = options;
    const { keepAliveTimeout, ...limits } = { ...LIMITS, ...options.limits };
    // Every request, response and socket in one layout, whether the fast path or the Koa app answers (uniform-http.ts).
    this.#server = createUniformServer(limits, (req, res) => {
      if (this.#draining) res.setHeader('connection', 'close');
      options.handler(req, res);
      // Only a response still to be written can be caught by a drain() (one answered synchronously is not tracked).
      if (!this.#draining && !res.headersSent) {
        this.#open.add(res);
        res.once('close', () => this.#open.delete(res));
      }
    });
    this.#server.keepAliveTimeout = keepAliveTimeout;
    this.#server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.#refuse(socket, statusFor(err)));
    // CONNECT is not a method of this API; without a listener Node would drop the connection without a word.
    this.#server.on('connect', (_req: IncomingMessage, socket: Duplex) => this.#refuse(socket, 405));
  }

  async start(): Promise<AddressInfo> {
    return listen(this.#server, { host: this.#o.host, port: this.#o.port, purpose: 'metadata API' });
  }

  /**
   * From now on every response closes its connection. Idle keep-alive connections are left to their idle timeout
   * (shorter than the usual shutdown delay) rather than closed now: closing an idle connection races with a client
   * that is just sending on it, and that client would see a reset.
   */
  drain(): void {
    this.#draining = true;
    for (const res of this.#open) if (!res.headersSent) res.setHeader('connection', 'close');
    this.#open.clear();
  }

  get draining(): boolean {
    return this.#draining;
  }

  async stop(): Promise<void> {
    this.drain();
    const closing = closeServer(this.#server);
    const bound = this.#o.clock.setTimeout(() => {
      this.#o.logger.warn({ drainTimeoutMs: this.#o.drainTimeoutMs }, 'requests still in flight after the drain bound: closing their connections');
      this.#server.closeAllConnections();
    }, this.#o.drainTimeoutMs);
    await closing;
    bound.cancel();
  }

  #refuse(socket: Duplex, status: number): void {
    this.#o.metrics.observe('malformed', status, 0);
    const net = socket as Socket;
    if (!net.writable || net.writableEnded || net.bytesWritten > 0) {
      net.destroy();
      return;
    }
    const body = STATUS_TEXT[status] ?? 'Bad Request';
    net.write(`HTTP/1.1 ${status} ${body}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    net.destroySoon(); // ends once written, then closes: no half-open socket is kept for a misbehaving client
  }
}

function statusFor(err: NodeJS.ErrnoException): number {
  if (err.code === 'HPE_HEADER_OVERFLOW') return 431;
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}
