import type { Logger } from '@iam4kube/shared';
import type { EventRecorder } from '../kube/event-recorder.js';
import type { PodRecord } from '../kube/pod-record.js';
import { serviceAccountKey, type ServiceAccountIndex, type ServiceAccountRecord } from '../kube/service-account-index.js';

export const AMBIGUOUS_IP_REASON = 'AmbiguousPodIP';
export const INVALID_BINDING_REASON = 'InvalidRoleBinding';
export const HOST_NETWORK_REASON = 'HostNetworkNotServed';

export interface IdentityWarningsOptions {
  readonly events: EventRecorder;
  readonly logger: Logger;
  readonly serviceAccounts: Pick<ServiceAccountIndex, 'get'>;
}

/**
 * Tells operators, as Warning Events and log lines, about the cluster states in which a pod will not get its role
 * however often it asks: two live pods sharing an IP (both refused), a ServiceAccount whose annotations are invalid,
 * and a hostNetwork pod whose ServiceAccount has a role (its IP is the node's, so it is never identified). Each is
 * reported when the state arises, not on every request; the recorder deduplicates repeats.
 */
export class IdentityWarnings {
  readonly #o: IdentityWarningsOptions;
  /** hostNetwork pods by ServiceAccount key: few (node daemons), and all a role change needs to look at. */
  readonly #hostNetworkPods = new Map<string, Map<string, PodRecord>>();

  constructor(options: IdentityWarningsOptions) {
    this.#o = options;
  }

  /** From the PodIndex: live pods now share this IP. */
  ambiguousIp(ip: string, pods: readonly PodRecord[]): void {
    const names = pods.map((p) => `${p.namespace}/${p.name}`);
    this.#o.logger.warn({ ip, pods: names }, 'live pods share an IP: credentials refused to all of them');
    for (const pod of pods) {
      const others = names.filter((n) => n !== `${pod.namespace}/${pod.name}`).join(', ');
      this.#o.events.record({
        pod: pod,
        type: 'Warning',
        reason: AMBIGUOUS_IP_REASON,
        message: `IP ${ip} is also used by ${others}: iam4kube cannot tell these pods apart and refuses credentials to all of them`,
      });
    }
  }

  /** From the PodIndex: a hostNetwork pod appeared, changed or went away. */
  hostNetworkPodChanged(record: PodRecord | undefined, previous: PodRecord | undefined): void {
    if (previous?.hostNetwork) this.#forgetHostNetworkPod(previous);
    if (!record?.hostNetwork) return;
    const key = serviceAccountKey(record.namespace, record.serviceAccountName);
    let pods = this.#hostNetworkPods.get(key);
    if (!pods) this.#hostNetworkPods.set(key, (pods = new Map()));
    pods.set(record.uid, record);
    if (previous?.hostNetwork && previous.serviceAccountName === record.serviceAccountName) return;
    const sa = this.#o.serviceAccounts.get(record.namespace, record.serviceAccountName);
    if (sa?.binding.kind === 'role') this.#warnHostNetwork(record, sa);
  }

  /** From the ServiceAccountIndex. */
  serviceAccountChanged(record: ServiceAccountRecord | undefined, previous: ServiceAccountRecord | undefined): void {
    if (!record) return;
    const binding = record.binding;
    if (binding.kind === 'invalid') {
      if (previous?.binding.kind === 'invalid' && previous.binding.reason === binding.reason) return;
      this.#o.logger.warn({ serviceAccount: `${record.namespace}/${record.name}`, reason: binding.reason }, 'invalid role binding: its pods get no credentials');
      this.#o.events.record({
        serviceAccount: record,
        type: 'Warning',
        reason: INVALID_BINDING_REASON,
        message: `${binding.reason}; pods using this ServiceAccount get no credentials until it is fixed`,
      });
      return;
    }
    if (binding.kind === 'role' && !(previous?.binding.kind === 'role' && previous.binding.roleArn === binding.roleArn)) {
      for (const pod of this.#hostNetworkPods.get(serviceAccountKey(record.namespace, record.name))?.values() ?? []) {
        this.#warnHostNetwork(pod, record);
      }
    }
  }

  #warnHostNetwork(pod: PodRecord, sa: ServiceAccountRecord): void {
    const roleArn = sa.binding.kind === 'role' ? sa.binding.roleArn : '';
    this.#o.logger.warn({ pod: `${pod.namespace}/${pod.name}`, roleArn }, 'hostNetwork pod with a role: it cannot be identified by IP and gets no credentials');
    this.#o.events.record({
      pod,
      type: 'Warning',
      reason: HOST_NETWORK_REASON,
      message: `this pod uses the host network, so its IP is the node's and iam4kube cannot identify it: it does not get the role ${roleArn} of ServiceAccount ${sa.name}`,
    });
  }

  #forgetHostNetworkPod(pod: PodRecord): void {
    const key = serviceAccountKey(pod.namespace, pod.serviceAccountName);
    const pods = this.#hostNetworkPods.get(key);
    pods?.delete(pod.uid);
    if (pods?.size === 0) this.#hostNetworkPods.delete(key);
  }
}
