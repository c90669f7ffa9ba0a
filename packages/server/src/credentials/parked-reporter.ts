import type { Logger } from '@iam4kube/shared';
import type { CredentialsError } from './credentials.js';
import type { SessionRequest } from './session-request.js';

interface ObjectRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** What we need from the Kubernetes Event recorder (kube/event-recorder.ts; it deduplicates per subject and reason). */
export interface EventRecorder {
  record(
    event: ({ readonly pod: ObjectRef } | { readonly serviceAccount: ObjectRef }) & {
      readonly type: 'Normal' | 'Warning';
      readonly reason: string;
      readonly message: string;
    },
  ): void;
}

export interface PodRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly serviceAccountName: string;
  readonly hostNetwork: boolean;
  readonly phase: string;
}

export interface ParkedReporterOptions {
  /** Undefined when no recorder is wired: then the store's log line is the report. */
  readonly events: EventRecorder | undefined;
  readonly pods: () => Iterable<PodRef>;
  readonly logger: Logger;
  /** Events for at most this many pods per parking (a Deployment's replicas all say the same). */
  readonly maxPods?: number;
}

export const PARKED_EVENT_REASON = 'AssumeRoleRefused';

/**
 * Reports a parked role as a Warning Event on the pods that run as its ServiceAccount (the store has already logged
 * it and counted it); when no pod uses the ServiceAccount, on the ServiceAccount itself, whose annotation names the
 * role. Without a recorder (or a uid to point at) the log line is the report.
 */
export function createParkedReporter(o: ParkedReporterOptions): (request: SessionRequest, error: CredentialsError) => void {
  const maxPods = o.maxPods ?? 10;
  return (request, error) => {
    const serviceAccount = `${request.namespace}/${request.serviceAccount}`;
    const message =
      `STS refused to assume ${request.roleArn} for ServiceAccount ${serviceAccount} ` +
      `(${error.code}: ${error.message}). Requests for these credentials fail at once; the role is retried every few ` +
      'minutes, and at once when the annotation changes.';
    const event = { type: 'Warning', reason: PARKED_EVENT_REASON, message } as const;
    if (!o.events) return;
    const pods: PodRef[] = [];
    for (const p of o.pods()) {
      if (p.namespace !== request.namespace || p.serviceAccountName !== request.serviceAccount) continue;
      if (p.hostNetwork || p.phase === 'Succeeded' || p.phase === 'Failed') continue;
      pods.push(p);
      if (pods.length >= maxPods) break;
    }
    for (const p of pods) o.events.record({ pod: { namespace: p.namespace, name: p.name, uid: p.uid }, ...event });
    if (pods.length > 0) return;
    if (request.serviceAccountUid === '') {
      o.logger.info({ roleArn: request.roleArn, serviceAccount }, 'no pod or ServiceAccount uid to report the refused role on');
      return;
    }
    o.events.record({ serviceAccount: { namespace: request.namespace, name: request.serviceAccount, uid: request.serviceAccountUid }, ...event });
  };
}
