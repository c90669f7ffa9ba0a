import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { listen, closeServer } from './listen.js';
import { createUniformServer } from './uniform-http.js';

/** What a probe reports: a verdict and, for humans, why. */
export interface ProbeResult {
  readonly ok: boolean;
  readonly detail?: Record<string, unknown>;
}

export interface Probes {
  /** Liveness: is the process able to do its work at all. */
  health(): ProbeResult;
  /** Readiness: should traffic be sent here now. */
  ready(): ProbeResult;
}

export interface AuxServerOptions {
  readonly host: string;
  readonly port: number;
  readonly probes: Probes;
  readonly registry: Registry;
}

/**
 * The auxiliary HTTP server: /healthz, /readyz and /metrics, on a port of its own so that the metadata port stays
 * closed to everything but the metadata API.
 */
export class AuxServer {
  readonly #options: AuxServerOptions;
  readonly #server: Server;

  constructor(options: AuxServerOptions) {
    this.#options = options;
    // Uniform: it shares Node's HTTP code with the metadata port in the server's process (uniform-http.ts says why).
    this.#server = createUniformServer({}, (req, res) => {
      this.#handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  }

  /** Binds the port; rejects with a message naming the port when it cannot. */
  async start(): Promise<AddressInfo> {
    return listen(this.#server, { host: this.#options.host, port: this.#options.port, purpose: 'aux (health/metrics)' });
  }

  async stop(): Promise<void> {
    await closeServer(this.#server);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    switch (path) {
      case '/healthz':
        return sendProbe(res, this.#options.probes.health());
      case '/readyz':
        return sendProbe(res, this.#options.probes.ready());
      case '/metrics': {
        const body = await this.#options.registry.metrics();
        res.writeHead(200, { 'content-type': this.#options.registry.contentType }).end(body);
        return;
      }
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  }
}

function sendProbe(res: ServerResponse, result: ProbeResult): void {
  const body = JSON.stringify({ status: result.ok ? 'ok' : 'not ok', ...result.detail });
  res.writeHead(result.ok ? 200 : 503, { 'content-type': 'application/json' }).end(body + '\n');
}
