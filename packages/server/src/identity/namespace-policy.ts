import { RE2JS } from 're2js';
import { globMatch } from './role-glob.js';
import { qualifyRole } from './pod-role-binding.js';

/** kube2iam's Namespace annotation: a JSON array of role ARNs, role names or glob patterns. */
export const ALLOWED_ROLES_ANNOTATION = 'iam.amazonaws.com/allowed-roles';
/** kiam's Namespace annotation: a regular expression over the role. */
export const PERMITTED_ANNOTATION = 'iam.amazonaws.com/permitted';
/** Longest `permitted` expression accepted (RE2 matches in linear time; this bounds the compiled program's size). */
export const MAX_PERMITTED_LENGTH = 2048;
/** Most `allowed-roles` entries accepted. */
export const MAX_ALLOWED_ROLES = 1000;

/** What a Namespace's annotations permit, parsed once per Namespace revision (never per request). */
export type NamespacePolicy =
  | {
      readonly kind: 'rules';
      /** allowed-roles, each entry qualified with --base-role-arn when it is a name; undefined when absent. */
      readonly allowedRoles: readonly string[] | undefined;
      /** permitted, compiled anchored; undefined when absent. */
      readonly permitted: { readonly source: string; readonly regex: RE2JS } | undefined;
    }
  | { readonly kind: 'malformed'; readonly annotation: string; readonly reason: string };

export type PolicyDecision =
  | { readonly permitted: true; readonly annotation: string }
  | { readonly permitted: false; readonly reason: string };

/**
 * Parses a Namespace's annotations. An empty or absent annotation permits nothing; a malformed one (bad JSON, not an
 * array of strings, a role name with no base ARN, a bad or too long regular expression) makes the whole policy
 * malformed: nothing is permitted in that namespace until it is fixed. Never throws.
 */
export function parseNamespacePolicy(annotations: Readonly<Record<string, string>> | undefined, baseRoleArn: string | undefined): NamespacePolicy {
  const allowed = annotations?.[ALLOWED_ROLES_ANNOTATION]?.trim() || undefined;
  const permitted = annotations?.[PERMITTED_ANNOTATION] || undefined;
  let allowedRoles: string[] | undefined;
  if (allowed !== undefined) {
    const parsed = parseAllowedRoles(allowed, baseRoleArn);
    if (typeof parsed === 'string') return { kind: 'malformed', annotation: ALLOWED_ROLES_ANNOTATION, reason: parsed };
    allowedRoles = parsed;
  }
  let regex: RE2JS | undefined;
  if (permitted !== undefined) {
    if (permitted.length > MAX_PERMITTED_LENGTH) {
      return { kind: 'malformed', annotation: PERMITTED_ANNOTATION, reason: `the expression is ${permitted.length} characters long (at most ${MAX_PERMITTED_LENGTH})` };
    }
    try {
      // Anchored on the whole ARN; (?:) so that an alternation `a|b` is anchored as a whole.
      regex = RE2JS.compile(`^(?:${permitted})$`);
    } catch (err) {
      return { kind: 'malformed', annotation: PERMITTED_ANNOTATION, reason: `not a valid regular expression (RE2 syntax, as kiam's Go regexp): ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  return { kind: 'rules', allowedRoles, permitted: regex && permitted !== undefined ? { source: permitted, regex } : undefined };
}

function parseAllowedRoles(text: string, baseRoleArn: string | undefined): string[] | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `not valid JSON (${err instanceof Error ? err.message : String(err)}): expected an array of role ARNs, names or patterns, e.g. ["arn:aws:iam::123456789012:role/app-*"]`;
  }
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) return 'expected a JSON array of strings';
  if (value.length > MAX_ALLOWED_ROLES) return `${value.length} entries (at most ${MAX_ALLOWED_ROLES})`;
  const roles: string[] = [];
  for (const entry of value as string[]) {
    const role = qualifyRole(entry.trim(), baseRoleArn);
    if (role === undefined) return `"${entry}" is a role name, but no --base-role-arn is set: write full role ARNs`;
    roles.push(role);
  }
  return roles;
}

/** Whether `policy` lets a pod in `namespace` use `roleArn`: either annotation permitting it is enough. */
export function decideRole(namespace: string, policy: NamespacePolicy, roleArn: string): PolicyDecision {
  if (policy.kind === 'malformed') {
    return { permitted: false, reason: `namespace ${namespace}: annotation ${policy.annotation} is malformed (${policy.reason}), so no role is permitted there` };
  }
  const { allowedRoles, permitted } = policy;
  if (allowedRoles?.some((pattern) => globMatch(pattern, roleArn))) return { permitted: true, annotation: ALLOWED_ROLES_ANNOTATION };
  if (permitted?.regex.matches(roleArn)) return { permitted: true, annotation: PERMITTED_ANNOTATION };
  if (allowedRoles === undefined && permitted === undefined) {
    return { permitted: false, reason: `namespace ${namespace} has neither ${ALLOWED_ROLES_ANNOTATION} nor ${PERMITTED_ANNOTATION}, so no role is permitted there (--namespace-restrictions)` };
  }
  const said = [
    ...(allowedRoles !== undefined ? [`no entry of ${ALLOWED_ROLES_ANNOTATION} matches it`] : []),
    ...(permitted !== undefined ? [`${PERMITTED_ANNOTATION} "${truncate(permitted.source)}" does not match it`] : []),
  ];
  return { permitted: false, reason: `role ${roleArn} is not permitted in namespace ${namespace}: ${said.join(', and ')}` };
}

function truncate(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
