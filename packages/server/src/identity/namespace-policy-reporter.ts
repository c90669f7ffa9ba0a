import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '@iam4kube/shared';
import type { EventRecorder } from '../kube/event-recorder.js';
import type { NamespaceRecord } from '../kube/namespace-index.js';
import type { NamespacePolicy } from './namespace-policy.js';

export const MALFORMED_POLICY_REASON = 'MalformedRolePolicy';

export interface NamespacePolicyReporter {
  /** From the NamespaceIndex. */
  namespaceChanged(name: string, record: NamespaceRecord | undefined, previous: NamespaceRecord | undefined): void;
  /** A request was refused a role its Namespace does not permit. */
  denied(): void;
}

/**
 * Reports Namespace role policies (--namespace-restrictions): a malformed one loudly (an error log line and a
 * Warning Event on the Namespace, once per Namespace revision, and the gauge of malformed namespaces), a changed one
 * in one info line, and counts the requests denied. The metrics exist whether or not restrictions are on (zero then).
 */
export function createNamespacePolicyReporter(o: { readonly events: EventRecorder; readonly logger: Logger; readonly registry: Registry }): NamespacePolicyReporter {
  const malformed = new Set<string>();
  new Gauge({
    name: 'iam4kube_namespace_policies_malformed',
    help: 'Namespaces whose iam.amazonaws.com/allowed-roles or iam.amazonaws.com/permitted annotation is malformed: no role is permitted in them (--namespace-restrictions).',
    registers: [o.registry],
    collect() {
      this.set(malformed.size);
    },
  });
  const denied = new Counter({
    name: 'iam4kube_identity_roles_denied_total',
    help: "Requests refused because the pod's Namespace does not permit its role (--namespace-restrictions; answered like no role).",
    registers: [o.registry],
  });
  return {
    namespaceChanged(name, record, previous) {
      if (!record) {
        malformed.delete(name);
        o.logger.info({ namespace: name }, 'namespace gone: no role is permitted in it');
        return;
      }
      const policy = record.policy;
      if (policy.kind === 'malformed') {
        malformed.add(name);
        o.logger.error(
          { namespace: name, resourceVersion: record.resourceVersion, annotation: policy.annotation, reason: policy.reason },
          'malformed namespace role policy: no role is permitted in this namespace until it is fixed',
        );
        o.events.record({
          namespaceObject: { name, uid: record.uid },
          type: 'Warning',
          reason: MALFORMED_POLICY_REASON,
          message: `${policy.annotation} is malformed (${policy.reason}): iam4kube permits no role in this namespace until it is fixed`,
        });
        return;
      }
      malformed.delete(name);
      const fields = { namespace: name, resourceVersion: record.resourceVersion, policy: describePolicy(policy) };
      // Start-up lists every namespace: only changes are worth a line at info.
      if (previous && describePolicy(previous.policy) !== fields.policy) o.logger.info(fields, 'namespace role policy changed');
      else o.logger.debug(fields, 'namespace role policy');
    },
    denied: () => denied.inc(),
  };
}

/** One line for logs: what a policy permits. */
export function describePolicy(policy: NamespacePolicy): string {
  if (policy.kind === 'malformed') return `malformed ${policy.annotation}: nothing`;
  const parts = [
    ...(policy.allowedRoles !== undefined ? [`allowed-roles ${JSON.stringify(policy.allowedRoles)}`] : []),
    ...(policy.permitted !== undefined ? [`permitted ${JSON.stringify(policy.permitted.source)}`] : []),
  ];
  return parts.length > 0 ? parts.join(' or ') : 'nothing (no annotation)';
}
