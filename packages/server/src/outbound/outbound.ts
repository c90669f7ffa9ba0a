import type { ListWatcher, ResourceQuery } from '@iam4kube/shared';
import type { Assumer } from '../credentials/credentials.js';
import type { EventWriter } from '../kube/event-recorder.js';
import type { PodReader } from '../kube/pod-reader.js';
import type { ServiceAccountVersionProbe } from '../kube/service-account-probe.js';

/**
 * Everything the server sends out: requests to the Kubernetes API (lists, watches, reads, Event writes) and to STS.
 * The production wiring runs these on a thread of their own (outbound-thread.ts): HTTP clients in the same V8
 * isolate as the metadata port make Node's shared http/stream code megamorphic and cost the metadata port about a
 * fifth of its throughput (docs/performance.md). Tests that inject a KubeConfig or an Assumer run them inline
 * (inline-outbound.ts).
 */
export interface Outbound {
  listWatcher(query: ResourceQuery): ListWatcher;
  /**
   * One page of a list as JSON text (`cont`: the previous page's continue token). The thread's client lists page by
   * page with this, so a list of 100,000 pods is never held whole on the thread nor copied across as objects: the
   * main thread parses each page, as it would inline.
   */
  listPage(query: ResourceQuery, cont: string | undefined, signal: AbortSignal): Promise<string>;
  readonly pods: PodReader;
  readonly serviceAccounts: ServiceAccountVersionProbe;
  readonly events: EventWriter;
  readonly sts: Assumer;
}
