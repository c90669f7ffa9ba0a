import type { IpFamily } from './ip-family.js';
import { compareAddresses, isAddressOf } from './ip-family.js';

/** The label the EndpointSlice controller puts on every slice of a Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/**
 * The parts of a discovery.k8s.io/v1 EndpointSlice we read. A structural subset of @kubernetes/client-node's
 * V1EndpointSlice, so informer objects can be passed as they are. Lists may be null on the wire (Go nil slices).
 */
export interface EndpointSliceLike {
  readonly addressType: string;
  readonly metadata?: {
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
  };
  readonly endpoints?: readonly EndpointLike[] | null;
  readonly ports?: readonly EndpointPortLike[] | null;
}

export interface EndpointLike {
  readonly addresses?: readonly string[] | null;
  readonly conditions?: {
    readonly ready?: boolean;
    readonly serving?: boolean;
    readonly terminating?: boolean;
  };
}

export interface EndpointPortLike {
  readonly name?: string;
  readonly port?: number;
  readonly protocol?: string;
}

export interface Backend {
  readonly ip: string;
  readonly port: number;
}

export interface EndpointSelector {
  /** Namespace and name of the server's Service. */
  readonly namespace: string;
  readonly serviceName: string;
  /** Name of the Service port that serves the metadata API; '' for an unnamed port. */
  readonly portName: string;
  readonly family: IpFamily;
}

export interface EndpointSelection {
  /**
   * Where metadata traffic goes: the ready endpoints, or when none is ready the serving-but-terminating ones (as
   * kube-proxy does, so a rollout that replaces every pod never leaves a moment with no backend). Deduplicated,
   * sorted by address then port.
   */
  readonly backends: readonly Backend[];
  /** Every address of the Service's pods whatever their conditions (not ready, terminating), sorted, unique. */
  readonly serverAddresses: readonly string[];
}

/**
 * Computes the backends of the server Service from all the EndpointSlices the caller knows (slices of other
 * Services, other namespaces and other address families are ignored, so the caller may pass its whole cache).
 */
export function selectEndpoints(slices: Iterable<EndpointSliceLike>, selector: EndpointSelector): EndpointSelection {
  const ready = new Map<string, Backend>();
  const terminating = new Map<string, Backend>();
  const addresses = new Set<string>();
  for (const slice of slices) {
    if (!belongsTo(slice, selector)) continue;
    const port = slice.ports?.find((p) => (p.name ?? '') === selector.portName && (p.protocol ?? 'TCP') === 'TCP');
    for (const endpoint of slice.endpoints ?? []) {
      // API semantics (kube-proxy reads them the same way): a missing ready or serving means true, a missing
      // terminating means false. A terminating endpoint is never ready, but it may still be serving.
      const isReady = endpoint.conditions?.ready ?? true;
      const isServing = endpoint.conditions?.serving ?? true;
      const isTerminating = endpoint.conditions?.terminating ?? false;
      for (const ip of endpoint.addresses ?? []) {
        if (!isAddressOf(selector.family, ip)) continue;
        addresses.add(ip);
        // A slice port without a number means "all ports", which only selector-less Services produce: unusable.
        if (port?.port === undefined) continue;
        const backend = { ip, port: port.port };
        const key = `${ip} ${port.port}`;
        if (isReady) ready.set(key, backend);
        else if (isServing && isTerminating) terminating.set(key, backend);
      }
    }
  }
  const chosen = ready.size > 0 ? ready : terminating;
  return {
    backends: [...chosen.values()].sort((a, b) => compareBackends(selector.family, a, b)),
    serverAddresses: [...addresses].sort((a, b) => compareAddresses(selector.family, a, b)),
  };
}

export function compareBackends(family: IpFamily, a: Backend, b: Backend): number {
  return compareAddresses(family, a.ip, b.ip) || a.port - b.port;
}

function belongsTo(slice: EndpointSliceLike, selector: EndpointSelector): boolean {
  return (
    slice.addressType === selector.family &&
    slice.metadata?.namespace === selector.namespace &&
    slice.metadata.labels?.[SERVICE_NAME_LABEL] === selector.serviceName
  );
}
