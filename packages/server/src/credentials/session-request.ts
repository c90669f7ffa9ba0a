import type { RoleBinding } from '../identity/role-binding.js';
import type { RoleOf } from '../identity/resolver.js';
import type { SessionTag } from './credentials.js';

export type RoleBindingOf = RoleOf<RoleBinding>;

/** Session tag keys we set when --session-tags is on. */
export const NAMESPACE_TAG = 'kubernetes-namespace';
export const SERVICE_ACCOUNT_TAG = 'kubernetes-service-account';
export const CLUSTER_TAG = 'kubernetes-cluster-name';

/** The opt-in parts of a session: off by default because the role's trust policy must allow them. */
export interface SessionOptions {
  /** Tag sessions with the namespace, the ServiceAccount and (when set) the cluster name: needs sts:TagSession. */
  readonly sessionTags: boolean;
  readonly clusterName: string | undefined;
  /** Set SourceIdentity to `namespace@serviceaccount` (the session name): needs sts:SetSourceIdentity. */
  readonly sourceIdentity: boolean;
}

/** Everything that makes one STS session different from another: one credentials entry each. */
export interface SessionRequest {
  readonly roleArn: string;
  readonly externalId: string | undefined;
  readonly sessionName: string;
  readonly tags: readonly SessionTag[];
  readonly sourceIdentity: string | undefined;
  /** The ServiceAccount it was made for: where Events about it go, and what readiness looks at. */
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Its uid, for Events on the ServiceAccount itself ('' when unknown). Not part of the key. */
  readonly serviceAccountUid: string;
}

/** What a request for credentials knows: the binding of the caller's ServiceAccount. */
export type SessionLookup = Pick<RoleBindingOf, 'roleArn' | 'externalId' | 'sessionName'>;

/** The session a ServiceAccount's role binding asks for, under the configured options. Pure. */
export function sessionRequestFor(
  serviceAccount: { readonly namespace: string; readonly name: string; readonly uid?: string },
  binding: RoleBindingOf,
  options: SessionOptions,
): SessionRequest {
  const tags: SessionTag[] = [];
  if (options.sessionTags) {
    tags.push({ key: NAMESPACE_TAG, value: serviceAccount.namespace }, { key: SERVICE_ACCOUNT_TAG, value: serviceAccount.name });
    if (options.clusterName !== undefined) tags.push({ key: CLUSTER_TAG, value: options.clusterName });
  }
  return {
    roleArn: binding.roleArn,
    externalId: binding.externalId,
    sessionName: binding.sessionName,
    tags,
    // The session name is already `namespace@serviceaccount` within STS's rules for SourceIdentity (2-64 of [\w+=,.@-]).
    sourceIdentity: options.sourceIdentity ? binding.sessionName : undefined,
    namespace: serviceAccount.namespace,
    serviceAccount: serviceAccount.name,
    serviceAccountUid: serviceAccount.uid ?? '',
  };
}

/** The entry key: role, external ID, session name, and the tags and SourceIdentity when they are on. */
export function sessionKey(request: SessionRequest): string {
  const tags = request.tags.map((t) => `${t.key}=${t.value}`).join(',');
  return `${lookupKey(request)}|${tags}|${request.sourceIdentity ?? ''}`;
}

/**
 * The key a request finds its entry by. The session name is `namespace@serviceaccount` (hashed past 64 characters),
 * and the tags and SourceIdentity derive from the same ServiceAccount, so this names one entry.
 */
export function lookupKey(lookup: SessionLookup): string {
  return `${lookup.roleArn}|${lookup.externalId ?? ''}|${lookup.sessionName}`;
}
