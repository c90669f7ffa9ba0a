import type { Credentials } from '../credentials/credentials.js';
import type { Resolution, RoleOf } from '../identity/resolver.js';
import type { RoleBinding } from '../identity/role-binding.js';
import type { Placement } from './listings.js';

/** What the HTTP layer needs from the engines: who is calling, their credentials, and where their node is. */
export interface Kernel {
  /** Waits (event-driven) while the answer is not yet knowable, until `signal` aborts. */
  resolve(ip: string, signal: AbortSignal): Promise<Resolution>;
  credentials(binding: RoleOf<RoleBinding>, signal: AbortSignal): Promise<Credentials>;
  /** The zone and region of a node, from memory; undefined when the node or its labels are unknown. */
  placement(nodeName: string): Placement | undefined;
}
