import { sessionNameFor } from './session-name.js';

export const ROLE_ARN_ANNOTATION = 'iam.amazonaws.com/roleArn';
export const EXTERNAL_ID_ANNOTATION = 'iam.amazonaws.com/roleExternalId';

/** What a ServiceAccount's annotations say about its role: nothing, something unusable, or a role to assume. */
export type RoleBinding =
  | { readonly kind: 'none' }
  | { readonly kind: 'invalid'; readonly reason: string }
  | {
      readonly kind: 'role';
      readonly roleArn: string;
      /** The last segment of the ARN (path dropped): what the metadata API lists. */
      readonly roleName: string;
      readonly externalId: string | undefined;
      readonly sessionName: string;
    };

const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/(.+)$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/** IAM paths: printable ASCII between slashes, up to 512 characters in all. */
const PATH_SEGMENT = /^[\x21-\x2e\x30-\x7e]+$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

export type RoleArnCheck = { readonly ok: true; readonly roleName: string } | { readonly ok: false; readonly reason: string };

/** A full IAM role ARN: partition aws, aws-cn or aws-us-gov, a 12-digit account, an optional path, a role name. */
export function checkRoleArn(arn: string): RoleArnCheck {
  const m = ROLE_ARN.exec(arn);
  if (!m) {
    return { ok: false, reason: `"${truncate(arn)}" is not a full IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)` };
  }
  const segments = m[3]!.split('/');
  const roleName = segments.pop()!;
  if (!ROLE_NAME.test(roleName)) {
    return { ok: false, reason: `role name "${truncate(roleName)}" must be 1-64 characters of letters, digits and +=,.@_-` };
  }
  const path = segments.join('/');
  if (path.length > 510 || segments.some((s) => !PATH_SEGMENT.test(s))) {
    return { ok: false, reason: `role path "${truncate(path)}" is not a valid IAM path` };
  }
  return { ok: true, roleName };
}

export function checkExternalId(id: string): string | undefined {
  if (EXTERNAL_ID.test(id)) return undefined;
  return 'external ID must be 2-1224 characters of letters, digits and +=,.@:/_-';
}

/** Pure translation from a ServiceAccount's identity and annotations to its role binding; shared by every caller. */
export function roleBindingFor(
  namespace: string,
  serviceAccount: string,
  annotations: Readonly<Record<string, string>> | undefined,
): RoleBinding {
  const arn = annotations?.[ROLE_ARN_ANNOTATION];
  if (arn === undefined) return { kind: 'none' };
  const checked = checkRoleArn(arn.trim());
  if (!checked.ok) return { kind: 'invalid', reason: `${ROLE_ARN_ANNOTATION}: ${checked.reason}` };
  const externalId = annotations?.[EXTERNAL_ID_ANNOTATION];
  if (externalId !== undefined) {
    const problem = checkExternalId(externalId);
    if (problem) return { kind: 'invalid', reason: `${EXTERNAL_ID_ANNOTATION}: ${problem}` };
  }
  return {
    kind: 'role',
    roleArn: arn.trim(),
    roleName: checked.roleName,
    externalId,
    sessionName: sessionNameFor(namespace, serviceAccount),
  };
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
