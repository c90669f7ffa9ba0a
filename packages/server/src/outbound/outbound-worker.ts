/**
 * The outbound thread's entry point (started by outbound-thread.ts): the real Kubernetes and STS adapters, served to
 * the main thread over the worker port. Nothing else runs here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadKubeConfig } from '@iam4kube/shared';
import { createStsAssumer } from '../credentials/sts-assumer.js';
import { inlineOutbound } from './outbound.js';
import { serveOutbound } from './outbound-service.js';
import type { OutboundThreadData } from './outbound-thread.js';

const data = workerData as OutboundThreadData;
const port = parentPort;
if (!port) throw new Error('outbound-worker.ts runs as a worker thread only');
const kubeConfig = loadKubeConfig({ path: data.kubeconfig, context: data.kubeContext });
const sts = createStsAssumer({ region: data.stsRegion, endpoint: data.stsEndpoint, now: () => Date.now() });
serveOutbound(port, inlineOutbound(kubeConfig, sts));
port.postMessage({ kind: 'ready' });
