import type { Logger } from 'pino';

export interface SignalHandlingOptions {
  readonly logger: Logger;
  /** Graceful shutdown; the process exits 0 when it resolves, 1 when it rejects. */
  readonly shutdown: (signal: NodeJS.Signals) => Promise<void>;
  /** Injected for tests; defaults to process.exit. */
  readonly exit?: (code: number) => void;
  readonly signals?: readonly NodeJS.Signals[];
  readonly process?: Pick<NodeJS.Process, 'on' | 'off'>;
}

/**
 * SIGTERM and SIGINT start a graceful shutdown; a second signal exits at once. Returns a function that removes the
 * handlers.
 */
export function handleSignals(options: SignalHandlingOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const proc = options.process ?? process;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      options.logger.warn({ signal }, 'second signal: exiting now');
      exit(1);
      return;
    }
    shuttingDown = true;
    options.logger.info({ signal }, 'shutting down');
    options.shutdown(signal).then(
      () => {
        options.logger.info('shutdown complete');
        exit(0);
      },
      (err: unknown) => {
        options.logger.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  for (const s of signals) proc.on(s, onSignal);
  return () => {
    for (const s of signals) proc.off(s, onSignal);
  };
}
