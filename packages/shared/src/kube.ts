/**
 * `@iam4kube/shared/kube`: the adapters that load @kubernetes/client-node. Loading it costs a V8 isolate about 27 MiB
 * of heap and 67 MiB of RSS (measured: `import('@kubernetes/client-node')` in a fresh process), so it is an entry
 * point of its own: the server's main thread, which never calls the API server itself (its outbound thread does),
 * imports only `@iam4kube/shared` and never loads it.
 */
export { loadKubeConfig } from './kube-config.js';
export { createKubeListWatcher, listPage } from './kube-list-watcher.js';
