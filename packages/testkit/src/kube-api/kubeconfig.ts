import { stringify } from 'yaml';

export interface KubeconfigOptions {
  /** Name used for the cluster, user and context entries. */
  readonly name?: string;
  /** Default namespace of the context. */
  readonly namespace?: string;
  /** Bearer token for the user entry (any token works unless the emulator was given one). */
  readonly token?: string;
}

/** A kubeconfig (YAML) with one cluster, user and context, the context current. */
export function renderKubeconfig(server: string, options: KubeconfigOptions = {}): string {
  const name = options.name ?? 'iam4kube-emulator';
  const context: Record<string, string> = { cluster: name, user: name };
  if (options.namespace) context['namespace'] = options.namespace;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    // client-node 1.4 refuses plain-HTTP servers unless TLS verification is explicitly skipped; kubectl ignores
    // the flag for http:// servers.
    clusters: [{ name, cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name, user: { token: options.token ?? 'emulator-token' } }],
    contexts: [{ name, context }],
    'current-context': name,
    preferences: {},
  });
}
