/**
 * The STS actions the emulator implements, on an authenticated caller. Pure apart from the identity store, which
 * records what AssumeRole issues. Errors are thrown as the StsError AWS would answer with.
 */
import { parseRoleArn } from './arn.js';
import { accessDenied, regionDisabled, stsError } from './errors.js';
import type { StsError } from './errors.js';
import type { IdentityStore, IssuedCredentials, Principal } from './identity-store.js';
import type { QueryParams } from './query-params.js';
import { readAssumeRoleInput } from './validation.js';
import type { AssumeRoleInput } from './validation.js';

export interface RoleConfig {
  /** Seconds, 3600–43200 as in IAM; default 3600. */
  readonly maxSessionDuration?: number;
  /** When set, AssumeRole must pass exactly this ExternalId (the role's trust policy condition). */
  readonly externalId?: string;
  /** When true, nobody may assume the role (AccessDenied). */
  readonly denied?: boolean;
}

export const DEFAULT_SESSION_DURATION = 3600;
export const ROLE_CHAINING_MAX_DURATION = 3600;
/** Byte budget that PackedPolicySize is a percentage of (an approximation of AWS's packed format). */
const PACKED_BUDGET = 4096;

export interface ActionContext {
  readonly now: number;
  readonly accountId: string;
  readonly store: IdentityStore;
  /** Configured roles by ARN. Roles not listed may be assumed unless `unknownRoles` is 'deny'. */
  readonly roles: Readonly<Record<string, RoleConfig>>;
  readonly unknownRoles: 'allow' | 'deny';
  /** A fault-injected decision for this role: an error code to deny with, 'allow', or undefined (use config). */
  readonly override: (roleArn: string) => string | undefined;
}

export interface AssumeRoleOutcome {
  readonly input: AssumeRoleInput;
  readonly credentials: IssuedCredentials;
  /** Present when the request carried session tags or policies, as with AWS. */
  readonly packedPolicySize?: number;
}

export interface CallerIdentity {
  readonly arn: string;
  readonly userId: string;
  readonly account: string;
}

function denial(code: string, caller: Principal, roleArn: string, accountId: string): StsError {
  if (code === 'AccessDenied') return accessDenied(caller.arn, roleArn);
  if (code === 'RegionDisabledException') return regionDisabled(accountId);
  return stsError(code);
}

function packedPolicySize(input: AssumeRoleInput): number | undefined {
  if (input.tags.length === 0 && input.policy === undefined && input.policyArns.length === 0) return undefined;
  const bytes =
    input.tags.reduce((sum, t) => sum + Buffer.byteLength(t.key) + Buffer.byteLength(t.value), 0) +
    Buffer.byteLength(input.policy ?? '') +
    input.policyArns.reduce((sum, arn) => sum + Buffer.byteLength(arn), 0);
  return Math.max(1, Math.ceil((bytes * 100) / PACKED_BUDGET));
}

export function assumeRole(context: ActionContext, caller: Principal, params: QueryParams): AssumeRoleOutcome {
  const input = readAssumeRoleInput(params);
  const role = parseRoleArn(input.roleArn);
  if (!role) throw stsError('ValidationError', 'Request ARN is invalid');

  const config = context.roles[role.arn];
  const override = context.override(role.arn);
  if (override !== undefined && override !== 'allow') throw denial(override, caller, role.arn, role.accountId);
  if (override === undefined) {
    if (config?.denied || (config === undefined && context.unknownRoles === 'deny')) {
      throw accessDenied(caller.arn, role.arn);
    }
    if (config?.externalId !== undefined && input.externalId !== config.externalId) {
      throw accessDenied(caller.arn, role.arn);
    }
  }

  const duration = input.durationSeconds ?? DEFAULT_SESSION_DURATION;
  if (duration > (config?.maxSessionDuration ?? DEFAULT_SESSION_DURATION)) {
    throw stsError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  }
  if (caller.issued && duration > ROLE_CHAINING_MAX_DURATION) {
    throw stsError(
      'ValidationError',
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
  }
  const packed = packedPolicySize(input);
  if (packed !== undefined && packed > 100) {
    throw stsError('PackedPolicyTooLarge', `Packed size of session policies and session tags consumes ${packed}% of allotted space.`);
  }

  const credentials = context.store.issue({
    role,
    roleSessionName: input.roleSessionName,
    durationSeconds: duration,
    caller,
    now: context.now,
    tags: input.tags,
    transitiveTagKeys: input.transitiveTagKeys,
    ...(input.externalId !== undefined && { externalId: input.externalId }),
    ...(input.sourceIdentity !== undefined && { sourceIdentity: input.sourceIdentity }),
  });
  return { input, credentials, ...(packed !== undefined && { packedPolicySize: packed }) };
}

export function getCallerIdentity(caller: Principal): CallerIdentity {
  return { arn: caller.arn, userId: caller.userId, account: caller.accountId };
}

/** Checks role configuration at start-up, as IAM would refuse it. */
export function checkRoleConfig(roles: Readonly<Record<string, RoleConfig>>): void {
  for (const [arn, config] of Object.entries(roles)) {
    if (!parseRoleArn(arn)) throw new Error(`STS emulator: ${arn} is not a valid IAM role ARN`);
    const max = config.maxSessionDuration;
    if (max !== undefined && !(Number.isInteger(max) && max >= 3600 && max <= 43_200)) {
      throw new Error(`STS emulator: maxSessionDuration of ${arn} must be an integer from 3600 to 43200, got ${max}`);
    }
  }
}
