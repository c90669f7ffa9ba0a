import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from './errors.js';

export interface KubeConfigSource {
  /** A kubeconfig file (flag --kubeconfig); when absent: $KUBECONFIG, then in-cluster, then ~/.kube/config. */
  readonly path?: string | undefined;
  readonly context?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Loads the Kubernetes client configuration and checks it names a cluster. Every problem is a ConfigError with one
 * readable line (client-node throws YAML parser errors and ENOENT otherwise).
 */
export function loadKubeConfig(source: KubeConfigSource): KubeConfig {
  const env = source.env ?? process.env;
  const kc = new KubeConfig();
  const path = source.path ?? env.KUBECONFIG;
  try {
    if (path !== undefined && path !== '') {
      const first = path.split(':')[0]!;
      if (!existsSync(first)) throw new ConfigError(`kubeconfig ${first} does not exist`);
      kc.loadFromFile(first);
    } else if (env.KUBERNETES_SERVICE_HOST) {
      kc.loadFromCluster();
    } else {
      kc.loadFromDefault();
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot load kubeconfig${path ? ` ${path}` : ''}: ${oneLine(err)}`);
  }
  if (source.context !== undefined) {
    if (!kc.getContextObject(source.context)) throw new ConfigError(`kubeconfig has no context "${source.context}"`);
    kc.setCurrentContext(source.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new ConfigError('kubeconfig has no current cluster (check current-context)');
  try {
    new URL(cluster.server);
  } catch {
    throw new ConfigError(`kubeconfig cluster "${cluster.name}" has an invalid server URL "${cluster.server}"`);
  }
  return kc;
}

function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.trim();
}
