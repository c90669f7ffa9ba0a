/**
 * An error in how the program was started (a bad flag, an unreadable kubeconfig). Binaries print its message on one
 * line and exit with code 2, never a stack trace.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Exit code for a configuration error, as in most Unix tools (2 = misuse). */
export const CONFIG_ERROR_EXIT_CODE = 2;
