import type { Backend } from './endpoints.js';
import { compareBackends } from './endpoints.js';
import type { IpFamily } from './ip-family.js';
import { compareAddresses, isAddressOf } from './ip-family.js';

/**
 * Everything a sync makes true on the node, for one address family. Plain data, normalized by createDesiredState
 * (sorted, deduplicated, validated), so rendering it is deterministic.
 */
export interface DesiredState {
  readonly family: IpFamily;
  /** Names the server Service in rule comments, e.g. `iam4kube/iam4kube-server:metadata`. */
  readonly service: string;
  /** The intercepted address and TCP port: 169.254.169.254 and 80. */
  readonly metadataAddress: string;
  readonly metadataPort: number;
  /** Where intercepted connections are DNATed to; empty means every one is rejected (fail closed). */
  readonly backends: readonly Backend[];
  /**
   * Pod addresses whose traffic to the metadata address is left alone: neither redirected nor rejected, so it goes
   * wherever the node routes the metadata address, i.e. to the cloud's real metadata service. Meant for the server
   * pods when they take their own AWS credentials from the node's instance profile; redirecting them would loop
   * their requests back to a server (and to themselves through a hairpin we do not masquerade, which hangs).
   * Leave it empty when the servers get credentials another way (IRSA, static keys): their metadata traffic is
   * then treated like any pod's. Anyone able to create pods behind the server Service gets the node's role this way,
   * which is why it is opt-in.
   */
  readonly excludedSources: readonly string[];
}

export interface DesiredStateInput {
  readonly family: IpFamily;
  readonly service: string;
  readonly metadataAddress: string;
  readonly metadataPort: number;
  readonly backends: Iterable<Backend>;
  readonly excludedSources?: Iterable<string>;
}

/** Builds a normalized DesiredState; throws on an address of the wrong family or a port out of range. */
export function createDesiredState(input: DesiredStateInput): DesiredState {
  const { family } = input;
  checkAddress(family, input.metadataAddress, 'metadata address');
  checkPort(input.metadataPort, 'metadata port');
  const backends = new Map<string, Backend>();
  for (const backend of input.backends) {
    checkAddress(family, backend.ip, 'backend address');
    checkPort(backend.port, 'backend port');
    backends.set(`${backend.ip} ${backend.port}`, { ip: backend.ip, port: backend.port });
  }
  const excluded = new Set<string>();
  for (const ip of input.excludedSources ?? []) {
    checkAddress(family, ip, 'excluded source');
    excluded.add(ip);
  }
  return {
    family,
    service: commentSafe(input.service),
    metadataAddress: input.metadataAddress,
    metadataPort: input.metadataPort,
    backends: [...backends.values()].sort((a, b) => compareBackends(family, a, b)),
    excludedSources: [...excluded].sort((a, b) => compareAddresses(family, a, b)),
  };
}

function checkAddress(family: IpFamily, ip: string, what: string): void {
  if (!isAddressOf(family, ip)) throw new Error(`${what} ${JSON.stringify(ip)} is not an ${family} address`);
}

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${what} ${port} is out of range`);
}

/** Rule comments are double-quoted in iptables-restore input and limited to 256 bytes: keep them plain and short. */
function commentSafe(text: string): string {
  return text.replace(/[^\w./:@-]/g, '_').slice(0, 128);
}
