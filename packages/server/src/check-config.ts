import type { ServerConfig } from './config.js';
import { readTokenKey } from './metadata/token-key-file.js';

/**
 * `--check-config`: the flags and the environment are already parsed and validated; this reads the files they name
 * the way start-up does, so a missing or short token key fails here (exit 2) rather than in a crash-looping pod.
 * The kubeconfig is not loaded and nothing is contacted: a manifest can be checked on any machine.
 */
export function checkServerFiles(config: ServerConfig): void {
  if (config.tokenKeyFile !== undefined) readTokenKey(config.tokenKeyFile);
}
