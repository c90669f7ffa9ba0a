/**
 * The program end-to-end tests run inside network namespaces (with `ip netns exec`), one mode per role. It prints
 * one JSON object per line on stdout, so the test waits on events rather than sleeping:
 *
 *   echo <name> <host> <port>
 *     An HTTP server answering every request with {"name", "remote", "path"}: its own name and the source address
 *     it saw. Prints {"event":"listening"} once bound and {"event":"connection","remote"} for every TCP connection
 *     accepted, before any byte is read, so a connection is recorded even when no request follows.
 *   forward <host> <port> <unix-socket>
 *     A TCP listener that relays each connection to a unix socket. Unix sockets are reached by path, across network
 *     namespaces: a process in another namespace can reach a server of the test's namespace this way.
 *
 * Exits 0 on SIGTERM. Only Node built-ins: it runs compiled or through tsx.
 */
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function listen(server: Server, host: string, port: number, name: string): void {
  server.on('error', (err) => {
    process.stderr.write(`${name}: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(port, host, () => emit({ event: 'listening', name, port: (server.address() as AddressInfo).port }));
}

function echo(name: string, host: string, port: number): void {
  const server = createHttpServer((req, res) => {
    const body = JSON.stringify({ name, remote: req.socket.remoteAddress, path: req.url });
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end(body);
  });
  server.on('connection', (socket) => emit({ event: 'connection', name, remote: socket.remoteAddress, remotePort: socket.remotePort }));
  listen(server, host, port, name);
}

function forward(host: string, port: number, unixPath: string): void {
  const server = createTcpServer((inbound) => {
    const outbound = connect(unixPath);
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  listen(server, host, port, `forward:${unixPath}`);
}

process.on('SIGTERM', () => process.exit(0));
const [mode, ...args] = process.argv.slice(2);
if (mode === 'echo' && args.length === 3) echo(args[0]!, args[1]!, Number(args[2]));
else if (mode === 'forward' && args.length === 3) forward(args[0]!, Number(args[1]), args[2]!);
else {
  process.stderr.write('usage: netns-peer echo <name> <host> <port> | forward <host> <port> <unix-socket>\n');
  process.exit(2);
}
