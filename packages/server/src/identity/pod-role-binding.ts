import { checkRoleArn, type RoleBinding } from './role-binding.js';
import { sessionNameFor } from './session-name.js';

/** kiam's and kube2iam's pod annotation; ours only with --pod-role-annotation. */
export const KUBE2IAM_POD_ROLE_ANNOTATION = 'iam.amazonaws.com/role';

const BASE_ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:role\/(.*)$/;
const PATH_SEGMENT = /^[\x21-\x2e\x30-\x7e]+$/;

export type BaseRoleArnCheck = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly reason: string };

/**
 * `--base-role-arn`: `arn:<partition>:iam::<12-digit account>:role/`, optionally followed by a path; the trailing `/`
 * is added when missing (kube2iam and kiam both concatenate the role name to it).
 */
export function normalizeBaseRoleArn(raw: string): BaseRoleArnCheck {
  const value = raw.trim().endsWith('/') ? raw.trim() : `${raw.trim()}/`;
  const m = BASE_ROLE_ARN.exec(value);
  if (!m) return { ok: false, reason: `--base-role-arn "${raw}" is not arn:<aws|aws-cn|aws-us-gov>:iam::<12-digit account>:role/[path/]` };
  const path = m[2]!.slice(0, -1);
  if (path !== '' && (path.length > 510 || path.split('/').some((s) => !PATH_SEGMENT.test(s)))) {
    return { ok: false, reason: `--base-role-arn "${raw}" has an invalid IAM path` };
  }
  return { ok: true, value };
}

/**
 * A role as kube2iam writes it (pod annotation, allowed-roles entry): a full ARN when it starts with `arn:` (any case,
 * as kube2iam's RoleARN), otherwise a name (optionally with a path, a leading `/` ignored as kiam does) under the base
 * ARN; undefined without a base ARN.
 */
export function qualifyRole(value: string, baseRoleArn: string | undefined): string | undefined {
  if (value.slice(0, 4).toLowerCase() === 'arn:') return value;
  // kiam accepts `/name` for `name`: a leading slash is not a path segment of its own.
  return baseRoleArn === undefined ? undefined : `${baseRoleArn}${value.replace(/^\/+/, '')}`;
}

/**
 * The binding a pod annotation asks for (compatibility mode). Same session name as the pod's ServiceAccount, so all
 * the pods of one ServiceAccount naming one role share one credentials entry; never an external ID.
 */
export function podRoleBindingFor(o: {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly value: string;
  readonly annotation: string;
  readonly baseRoleArn: string | undefined;
}): RoleBinding {
  const value = o.value.trim();
  const roleArn = qualifyRole(value, o.baseRoleArn);
  if (roleArn === undefined) {
    return { kind: 'invalid', reason: `${o.annotation}: "${truncate(value)}" is a role name, but no --base-role-arn is set: write the full role ARN` };
  }
  const checked = checkRoleArn(roleArn);
  if (!checked.ok) return { kind: 'invalid', reason: `${o.annotation}: ${checked.reason}` };
  return { kind: 'role', roleArn, roleName: checked.roleName, externalId: undefined, sessionName: sessionNameFor(o.namespace, o.serviceAccount) };
}

/** What a pod-annotation binding is computed from. */
export interface AnnotatedPod {
  readonly namespace: string;
  readonly serviceAccountName: string;
  /** The pod annotation's value, when the pod has it and --pod-role-annotation is on. */
  readonly roleAnnotation?: string | undefined;
}

export interface PodRoleBindings {
  /** The pod annotation's binding; undefined when the pod has none (or compatibility mode is off). */
  bindingOf(pod: AnnotatedPod): RoleBinding | undefined;
}

/**
 * The precedence between the two annotations, in one place for the resolver and the prefetch: the pod annotation's
 * binding only when the pod's ServiceAccount has no role annotation at all; undefined otherwise (the ServiceAccount's
 * binding decides, an invalid one included: no fallback).
 */
export function podBindingUnder(serviceAccountBinding: RoleBinding, pod: AnnotatedPod, podRoles: PodRoleBindings | undefined): RoleBinding | undefined {
  return serviceAccountBinding.kind === 'none' ? podRoles?.bindingOf(pod) : undefined;
}

/** How many distinct (namespace, ServiceAccount, value) bindings are kept parsed before the memo starts over. */
const MEMO_LIMIT = 10_000;

/**
 * Pod-annotation bindings, parsed once per distinct (namespace, ServiceAccount, value) rather than on every request:
 * the request path and the prefetch share the frozen binding objects.
 */
export function createPodRoleBindings(o: { readonly annotation: string; readonly baseRoleArn: string | undefined }): PodRoleBindings {
  const memo = new Map<string, RoleBinding>();
  return {
    bindingOf(pod) {
      if (pod.roleAnnotation === undefined) return undefined;
      const key = `${pod.namespace}\0${pod.serviceAccountName}\0${pod.roleAnnotation}`;
      let binding = memo.get(key);
      if (binding === undefined) {
        if (memo.size >= MEMO_LIMIT) memo.clear();
        binding = Object.freeze(podRoleBindingFor({ namespace: pod.namespace, serviceAccount: pod.serviceAccountName, value: pod.roleAnnotation, ...o }));
        memo.set(key, binding);
      }
      return binding;
    },
  };
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
