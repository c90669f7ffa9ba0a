import type { KubeConfig } from '@kubernetes/client-node';
import { createKubeListWatcher, listPage } from '@iam4kube/shared/kube';
import type { Assumer } from '../credentials/credentials.js';
import { createKubeEventWriter } from '../kube/kube-event-writer.js';
import { createPodReader } from '../kube/pod-reader.js';
import { createServiceAccountProbe } from '../kube/service-account-probe.js';
import type { Outbound } from './outbound.js';

/**
 * The outbound adapters on the calling thread: the outbound thread's own (outbound-worker.ts), and the main thread's
 * only when a test injects a KubeConfig or an Assumer. This module loads the Kubernetes client: the production main
 * thread never imports it (app.ts loads it on demand for those tests).
 */
export function inlineOutbound(kubeConfig: KubeConfig, sts: Assumer): Outbound {
  return {
    listWatcher: (query) => createKubeListWatcher(kubeConfig, query),
    listPage: (query, cont, signal) => listPage(kubeConfig, query, cont, signal),
    pods: createPodReader(kubeConfig),
    serviceAccounts: createServiceAccountProbe(kubeConfig),
    events: createKubeEventWriter(kubeConfig),
    sts,
  };
}
