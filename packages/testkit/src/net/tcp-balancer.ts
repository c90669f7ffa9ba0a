import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface TcpBalancerOptions {
  /** Ports on `backendHost` to spread connections over. */
  readonly backends: readonly number[];
  readonly backendHost?: string;
  /** Where the balancer listens (default 127.0.0.1, a free port). */
  readonly host?: string;
  readonly port?: number;
  /** Picks a backend: an index below `count` (default uniform random). */
  readonly pick?: (count: number) => number;
}

export interface TcpBalancer {
  readonly port: number;
  /** `http://host:port` */
  readonly url: string;
  /** Replaces the backends for new connections; connections already open stay where they are. */
  setBackends(ports: readonly number[]): void;
  readonly backends: readonly number[];
  /** Connections handed to each backend port so far. */
  readonly handed: ReadonlyMap<number, number>;
  close(): Promise<void>;
}

/**
 * A tiny layer-4 balancer on loopback that behaves like ip2service's DNAT towards several server replicas: each new
 * TCP connection goes to a backend picked at random and stays there (like a conntrack entry), the caller's source
 * address is kept (the balancer connects from the same loopback address the client came from, so the server still
 * sees the pod's IP), and with no backend a connection is reset, as the REJECT rule does.
 */
export async function startTcpBalancer(options: TcpBalancerOptions): Promise<TcpBalancer> {
  const backendHost = options.backendHost ?? '127.0.0.1';
  const pick = options.pick ?? ((count: number) => Math.floor(Math.random() * count));
  let backends = [...options.backends];
  const handed = new Map<number, number>();
  const open = new Set<Socket>();
  const track = (socket: Socket): void => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };

  const server = createServer({ pauseOnConnect: true }, (client) => {
    track(client);
    client.on('error', () => undefined);
    if (backends.length === 0) {
      client.resetAndDestroy();
      return;
    }
    const port = backends[pick(backends.length)]!;
    handed.set(port, (handed.get(port) ?? 0) + 1);
    const localAddress = client.remoteAddress?.replace(/^::ffff:/, '');
    const upstream = connect({ host: backendHost, port, ...(localAddress?.startsWith('127.') ? { localAddress } : {}) });
    track(upstream);
    upstream.on('error', () => client.resetAndDestroy());
    client.on('error', () => upstream.destroy());
    upstream.once('connect', () => {
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    port: address.port,
    url: `http://${address.address}:${address.port}`,
    setBackends(ports) {
      backends = [...ports];
    },
    get backends() {
      return backends;
    },
    handed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
