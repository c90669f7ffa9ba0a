import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from './errors.js';

export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  /** Named in the error when the port cannot be bound. */
  readonly purpose: string;
}

/** Binds a server; a failure (port in use, no permission) becomes a ConfigError that says which port and why. */
export function listen(server: Server, options: ListenOptions): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new ConfigError(
          `cannot listen on ${options.host}:${options.port} for the ${options.purpose} port: ${err.code ?? err.message}`,
        ),
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Stops accepting, closes idle keep-alive sockets, and resolves when every connection is gone. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
