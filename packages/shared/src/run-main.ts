import { CONFIG_ERROR_EXIT_CODE, ConfigError } from './errors.js';

/**
 * Runs a binary's entry point: a ConfigError prints one line and exits 2; any other start-up failure prints one line
 * and exits 1. Never a stack trace for a user's mistake.
 */
export function runMain(binary: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${binary}: ${err.message}\n`);
      process.exitCode = CONFIG_ERROR_EXIT_CODE;
    } else {
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`${binary}: fatal: ${message.split('\n')[0]}\n`);
      process.exitCode = 1;
    }
  });
}
