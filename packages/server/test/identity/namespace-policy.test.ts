import test from 'ava';
import {
  ALLOWED_ROLES_ANNOTATION,
  MAX_PERMITTED_LENGTH,
  PERMITTED_ANNOTATION,
  decideRole,
  parseNamespacePolicy,
  type NamespacePolicy,
} from '../../src/identity/namespace-policy.js';

const ROLE = 'arn:aws:iam::123456789012:role/';
const BASE = ROLE;

function permits(annotations: Record<string, string>, roleArn: string, base?: string): boolean | string {
  const policy = parseNamespacePolicy(annotations, base);
  if (policy.kind === 'malformed') return `malformed ${policy.annotation}`;
  return decideRole('team-a', policy, roleArn).permitted;
}

// [annotations, role, --base-role-arn, expected]
const table: ReadonlyArray<readonly [string, Record<string, string>, string, string | undefined, boolean | string]> = [
  // kube2iam's README: allowed-roles is a JSON array of ARNs, names or globs.
  ['kube2iam: exact name, expanded with the base ARN', { [ALLOWED_ROLES_ANNOTATION]: '["role-arn"]' }, `${ROLE}role-arn`, BASE, true],
  ['kube2iam: glob with a path', { [ALLOWED_ROLES_ANNOTATION]: `["${ROLE}my-custom-path/*"]` }, `${ROLE}my-custom-path/app`, BASE, true],
  ['kube2iam: glob name under the base ARN', { [ALLOWED_ROLES_ANNOTATION]: '["my-custom-path/*"]' }, `${ROLE}my-custom-path/app`, BASE, true],
  ['kube2iam: not listed', { [ALLOWED_ROLES_ANNOTATION]: '["role-arn"]' }, `${ROLE}other`, BASE, false],
  ['kube2iam: name with no base ARN is malformed', { [ALLOWED_ROLES_ANNOTATION]: '["role-arn"]' }, `${ROLE}role-arn`, undefined, `malformed ${ALLOWED_ROLES_ANNOTATION}`],
  ['kube2iam: "arn:" prefix in any case is an ARN', { [ALLOWED_ROLES_ANNOTATION]: `["ARN:aws:iam::123456789012:role/x"]` }, `${ROLE}x`, undefined, false],
  ['kube2iam: empty array permits nothing', { [ALLOWED_ROLES_ANNOTATION]: '[]' }, `${ROLE}x`, BASE, false],
  ['kube2iam: empty annotation is absent', { [ALLOWED_ROLES_ANNOTATION]: '' }, `${ROLE}x`, BASE, false],
  ['bad JSON', { [ALLOWED_ROLES_ANNOTATION]: '["a",' }, `${ROLE}a`, BASE, `malformed ${ALLOWED_ROLES_ANNOTATION}`],
  ['not an array', { [ALLOWED_ROLES_ANNOTATION]: '"a"' }, `${ROLE}a`, BASE, `malformed ${ALLOWED_ROLES_ANNOTATION}`],
  ['not strings', { [ALLOWED_ROLES_ANNOTATION]: '["a", 1]' }, `${ROLE}a`, BASE, `malformed ${ALLOWED_ROLES_ANNOTATION}`],
  // kiam's README: permitted is a regular expression; here anchored on the whole ARN.
  ['kiam: ".*" permits all', { [PERMITTED_ANNOTATION]: '.*' }, `${ROLE}anything`, undefined, true],
  ['kiam: anchored on the whole ARN, a bare name does not match', { [PERMITTED_ANNOTATION]: 'reportingdb-.*' }, `${ROLE}reportingdb-reader`, undefined, false],
  ['kiam: a pattern over the ARN', { [PERMITTED_ANNOTATION]: '.*:role/reportingdb-.*' }, `${ROLE}reportingdb-reader`, undefined, true],
  ['kiam: an alternation is anchored as a whole', { [PERMITTED_ANNOTATION]: `${ROLE}a|${ROLE}b` }, `${ROLE}bc`, undefined, false],
  ['kiam: an alternation matches either side', { [PERMITTED_ANNOTATION]: `${ROLE}a|${ROLE}b` }, `${ROLE}b`, undefined, true],
  ['kiam: no substring match', { [PERMITTED_ANNOTATION]: 'role/app' }, `${ROLE}app`, undefined, false],
  ['kiam: RE2 syntax (Go): (?i)', { [PERMITTED_ANNOTATION]: `(?i)${ROLE}APP` }, `${ROLE}app`, undefined, true],
  ['bad regex', { [PERMITTED_ANNOTATION]: '(' }, `${ROLE}a`, undefined, `malformed ${PERMITTED_ANNOTATION}`],
  ['backreferences are not RE2', { [PERMITTED_ANNOTATION]: '(a)\\1' }, `${ROLE}a`, undefined, `malformed ${PERMITTED_ANNOTATION}`],
  ['too long', { [PERMITTED_ANNOTATION]: 'a'.repeat(MAX_PERMITTED_LENGTH + 1) }, `${ROLE}a`, undefined, `malformed ${PERMITTED_ANNOTATION}`],
  // Both: either permits.
  ['both: the glob permits', { [ALLOWED_ROLES_ANNOTATION]: `["${ROLE}a"]`, [PERMITTED_ANNOTATION]: `${ROLE}b` }, `${ROLE}a`, undefined, true],
  ['both: the regex permits', { [ALLOWED_ROLES_ANNOTATION]: `["${ROLE}a"]`, [PERMITTED_ANNOTATION]: `${ROLE}b` }, `${ROLE}b`, undefined, true],
  ['both: neither permits', { [ALLOWED_ROLES_ANNOTATION]: `["${ROLE}a"]`, [PERMITTED_ANNOTATION]: `${ROLE}b` }, `${ROLE}c`, undefined, false],
  ['both: one malformed denies all', { [ALLOWED_ROLES_ANNOTATION]: `["${ROLE}a"]`, [PERMITTED_ANNOTATION]: '[' }, `${ROLE}a`, undefined, `malformed ${PERMITTED_ANNOTATION}`],
  ['neither annotation: nothing permitted', {}, `${ROLE}a`, BASE, false],
];

for (const [name, annotations, role, base, expected] of table) {
  test(`policy: ${name}`, (t) => {
    t.is(permits(annotations, role, base), expected);
  });
}

test('reasons name the namespace and the annotation that decided', (t) => {
  const both = parseNamespacePolicy({ [ALLOWED_ROLES_ANNOTATION]: `["${ROLE}a"]`, [PERMITTED_ANNOTATION]: `${ROLE}b` }, undefined);
  t.deepEqual(decideRole('team-a', both, `${ROLE}a`), { permitted: true, annotation: ALLOWED_ROLES_ANNOTATION });
  t.deepEqual(decideRole('team-a', both, `${ROLE}b`), { permitted: true, annotation: PERMITTED_ANNOTATION });
  const denied = decideRole('team-a', both, `${ROLE}c`);
  t.false(denied.permitted);
  if (!denied.permitted) {
    t.regex(denied.reason, /namespace team-a/);
    t.regex(denied.reason, /allowed-roles/);
    t.regex(denied.reason, /permitted/);
  }
  const none = decideRole('team-b', parseNamespacePolicy(undefined, undefined), `${ROLE}c`);
  t.like(none, { permitted: false });
  if (!none.permitted) t.regex(none.reason, /team-b has neither/);
  const malformed = decideRole('team-c', parseNamespacePolicy({ [PERMITTED_ANNOTATION]: '(' }, undefined), `${ROLE}c`);
  if (!malformed.permitted) t.regex(malformed.reason, /namespace team-c: annotation iam\.amazonaws\.com\/permitted is malformed/);
  else t.fail();
});

test('a catastrophic pattern for a backtracking engine answers at once (RE2: linear time)', (t) => {
  const policy: NamespacePolicy = parseNamespacePolicy({ [PERMITTED_ANNOTATION]: '(a+)+b' }, undefined);
  const started = process.hrtime.bigint();
  t.false(decideRole('x', policy, 'a'.repeat(5000)).permitted);
  t.true(process.hrtime.bigint() - started < 500_000_000n);
});
