/**
 * The throughput baseline: a bare Node `http` server answering every request with one prebuilt buffer (the size of
 * the real credentials document) and the same content type. Run by throughput.ts as a child process, like the
 * server, so both get the same treatment (own process, same CPU pinning). Prints {"port":N} once listening.
 *
 *   node --import tsx bench/baseline-server.ts <body-bytes>
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const size = Number(process.argv[2] ?? '1000');
const body = Buffer.alloc(size, 'x');
const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(size) };
const server = createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
