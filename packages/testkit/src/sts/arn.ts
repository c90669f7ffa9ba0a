/** IAM role ARNs and the principals STS derives from them. Pure. */

export type Partition = 'aws' | 'aws-cn' | 'aws-us-gov';

export interface RoleArn {
  readonly arn: string;
  readonly partition: Partition;
  readonly accountId: string;
  /** `/` or `/some/path/`. */
  readonly path: string;
  readonly name: string;
}

const NAME = /^[\w+=,.@-]{1,64}$/;
const PATH_SEGMENT = /^[\u0021-\u002E\u0030-\u007E]+$/;
const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role(\/.*)$/;

/** The parts of an IAM role ARN, or undefined when `arn` is not one (AWS: "Request ARN is invalid"). */
export function parseRoleArn(arn: string): RoleArn | undefined {
  const m = ROLE_ARN.exec(arn);
  if (!m) return undefined;
  const [, partition, accountId, resource] = m as unknown as [string, Partition, string, string];
  const segments = resource.split('/').slice(1);
  const name = segments.pop() ?? '';
  if (!NAME.test(name) || !segments.every((s) => PATH_SEGMENT.test(s))) return undefined;
  const path = segments.length === 0 ? '/' : `/${segments.join('/')}/`;
  return { arn, partition, accountId, path, name };
}

/** `arn:<partition>:sts::<account>:assumed-role/<role name, without path>/<session>`. */
export function assumedRoleArn(role: RoleArn, sessionName: string): string {
  return `arn:${role.partition}:sts::${role.accountId}:assumed-role/${role.name}/${sessionName}`;
}

/** The account of any ARN (`arn:partition:service:region:account:resource`), or undefined. */
export function accountOf(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account !== undefined && /^\d{12}$/.test(account) ? account : undefined;
}
