import { createServer, IncomingMessage, ServerResponse, type RequestListener, type Server, type ServerOptions } from 'node:http';
import type { Socket } from 'node:net';

/**
 * An HTTP server whose requests, responses and sockets all keep one object layout, whichever code answers them.
 *
 * V8 gives objects with the same properties added in the same order one hidden class. Node's own HTTP code (the
 * parser's callbacks, writeHead, end, and the stream and socket code under them) is compiled for the classes it has
 * seen: once it has seen two or more of the same kind of object, every later call pays for the checks, and it inlines
 * less. Some properties are added only on first use, so one kind of object comes in several layouts:
 * - a socket gets `_peername` when its remoteAddress is first read (by a handler that identifies its caller, and only
 *   by such a handler);
 * - a response gets `statusCode` and `statusMessage` when they are first set, in the order its handler sets them
 *   (writeHead: message, then code; Koa: code, then message);
 * - Koa's helpers cache `_parsedUrl` on a request (parseurl) and `__onFinished` on a response (on-finished);
 * - a request gets `_eventsCount` with its first listener (Koa's path adds one while the fast path does not).
 * Here each of them exists from the start, in a fixed order. Measured (docs/performance.md, session 12): a bare Node
 * server answered 8 % fewer requests per second once it had let Koa answer a few requests and read remoteAddress in
 * its handler, and as many as before with this server.
 */
export function createUniformServer(options: ServerOptions, listener: RequestListener): Server {
  // The classes only add properties: to the listener they are Node's own.
  const server = createServer({ ...options, IncomingMessage: UniformRequest, ServerResponse: UniformResponse as typeof ServerResponse }, listener);
  // After Node's own connection listener (registered by createServer), before any request on the socket.
  server.on('connection', readPeer);
  return server;
}

function readPeer(socket: Socket): void {
  // A getter: the read caches the address on the socket (`_peername`).
  void socket.remoteAddress;
}

class UniformRequest extends IncomingMessage {
  /** The prototype's listener count (Readable's constructor leaves it there); set on the first listener otherwise. */
  _eventsCount = 0;
  /** parseurl's cache of the parsed URL (Koa's ctx.path and ctx.query); absent or stale, it is parsed again. */
  _parsedUrl: unknown = undefined;
}

class UniformResponse extends ServerResponse {
  // The prototype's defaults, as own properties from the start.
  override statusCode = 200;
  override statusMessage = undefined as unknown as string;
  /** on-finished's listener queue; created on first use when absent. */
  __onFinished: unknown = undefined;
}
