import type { Resolution } from '../identity/resolver.js';
import type { PodRecord } from '../kube/pod-record.js';
import { AMBIGUOUS_IP_REASON, INVALID_BINDING_REASON } from '../identity/identity-warnings.js';
import { PARKED_EVENT_REASON } from '../credentials/parked-reporter.js';

/** --namespace-restrictions: the pod's Namespace does not permit the role it asked for. */
export const ROLE_NOT_PERMITTED_REASON = 'RoleNotPermitted';

/** A Kubernetes Event about a Pod, as the metadata API reports what happened to the pod's requests. */
export interface PodEvent {
  readonly pod: { readonly namespace: string; readonly name: string; readonly uid: string };
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/**
 * Where events go. The recorder deduplicates (one Event per pod and reason per window, with a count), so the request
 * path may report every occurrence; it must not block or throw.
 */
export interface PodEventRecorder {
  /** `at`: the time the request read (the recorder reads its clock otherwise). */
  record(event: PodEvent, at?: number): void;
}

/**
 * The reasons. Where the identity and credentials engines already report the same cause when it arises (an IP two
 * pods share, an unusable annotation, a role STS refuses), the request reuses their reason, so the recorder merges
 * both into one Event on the pod instead of two saying the same thing.
 */
export const EVENT_REASONS = {
  roleFound: 'RoleFound',
  noRole: 'NoRole',
  invalidRole: INVALID_BINDING_REASON,
  credentialsRefused: PARKED_EVENT_REASON,
  credentialsUnavailable: 'CredentialsUnavailable',
  ambiguousIp: AMBIGUOUS_IP_REASON,
  roleNotPermitted: ROLE_NOT_PERMITTED_REASON,
} as const;

function ref(pod: PodRecord): PodEvent['pod'] {
  return { namespace: pod.namespace, name: pod.name, uid: pod.uid };
}

/**
 * The events a credentials request reports, from how its caller resolved. A found role is reported only once the
 * credentials were served (`served`), so a pod that lists its role and then fails to get credentials does not
 * collect both a Normal and a Warning event for one attempt.
 */
export function resolutionEvents(resolution: Resolution, served: boolean): PodEvent[] {
  switch (resolution.kind) {
    case 'role':
      if (!served) return [];
      return [
        {
          pod: ref(resolution.pod),
          type: 'Normal',
          reason: EVENT_REASONS.roleFound,
          message: `credentials for ${resolution.binding.roleArn} (session ${resolution.binding.sessionName}) served through the metadata API`,
        },
      ];
    case 'no-role':
      return [
        {
          pod: ref(resolution.pod),
          type: 'Warning',
          reason: EVENT_REASONS.noRole,
          message: `asked for AWS credentials, but ServiceAccount ${resolution.pod.serviceAccountName} has no iam.amazonaws.com/roleArn annotation`,
        },
      ];
    case 'invalid-role':
      return [
        {
          pod: ref(resolution.pod),
          type: 'Warning',
          reason: EVENT_REASONS.invalidRole,
          message:
            resolution.source === 'pod'
              ? `asked for AWS credentials, but the pod's role annotation is unusable: ${resolution.reason}`
              : `asked for AWS credentials, but ServiceAccount ${resolution.pod.serviceAccountName} has an unusable role: ${resolution.reason}`,
        },
      ];
    case 'denied':
      return [
        {
          pod: ref(resolution.pod),
          type: 'Warning',
          reason: EVENT_REASONS.roleNotPermitted,
          message: `asked for AWS credentials for ${resolution.roleArn} (from the ${resolution.source === 'pod' ? "pod's annotation" : `annotation of ServiceAccount ${resolution.pod.serviceAccountName}`}), refused: ${resolution.reason}`,
        },
      ];
    case 'refused':
      if (resolution.reason !== 'ambiguous-ip' || !resolution.pods) return [];
      return resolution.pods.map((pod, _i, all) => ({
        pod: ref(pod),
        type: 'Warning' as const,
        reason: EVENT_REASONS.ambiguousIp,
        message: `asked for AWS credentials from an IP that pods ${all.map((p) => `${p.namespace}/${p.name}`).join(', ')} all claim: none gets credentials until one alone holds it`,
      }));
  }
}

/**
 * The event for a role whose credentials could not be had: STS refused the role for good (`refused`), or failed or
 * took longer than the wait.
 */
export function credentialsFailedEvent(pod: PodRecord, roleArn: string, problem: string, refused: boolean): PodEvent {
  return {
    pod: ref(pod),
    type: 'Warning',
    reason: refused ? EVENT_REASONS.credentialsRefused : EVENT_REASONS.credentialsUnavailable,
    message: `asked for AWS credentials, but cannot get them for ${roleArn}: ${problem}`,
  };
}
