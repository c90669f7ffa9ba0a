/**
 * The outbound thread's entry point (started by outbound-thread.ts): the real Kubernetes and STS adapters, served to
 * the main thread over the worker port. Nothing else runs here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ConfigError } from '@iam4kube/shared';
import { loadKubeConfig } from '@iam4kube/shared/kube';
import { createStsAssumer } from '../credentials/sts-assumer.js';
import { inlineOutbound } from './inline-outbound.js';
import { serveOutbound } from './outbound-service.js';
import type { OutboundThreadData } from './outbound-thread.js';
import { keepTickObjectShape } from '../tick-object-shape.js';

// This thread is an isolate of its own, with its own nextTick shapes (tick-object-shape.ts says why).
keepTickObjectShape();
const data = workerData as OutboundThreadData;
const port = parentPort;
if (!port) throw new Error('outbound-worker.ts runs as a worker thread only');
// The kubeconfig is loaded here, not on the main thread, which never loads the Kubernetes client (kube.ts in
// @iam4kube/shared says why). A bad one is a configuration error: reported as such (the main thread makes it the
// binary's one-line error and exit code 2), and the thread ends without serving.
let kubeConfig: ReturnType<typeof loadKubeConfig> | undefined;
try {
  kubeConfig = loadKubeConfig({ path: data.kubeconfig, context: data.kubeContext });
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  port.postMessage({ kind: 'config-error', message: err.message });
}
if (kubeConfig !== undefined) {
  const sts = createStsAssumer({ region: data.stsRegion, endpoint: data.stsEndpoint, now: () => Date.now() });
  serveOutbound(port, inlineOutbound(kubeConfig, sts));
  port.postMessage({ kind: 'ready' });
}
