/**
 * Who holds which keys: the base credentials the emulator was started with (an IAM user, or a role session such as
 * a node's instance profile) and every credential set AssumeRole issued. Issued sets stay known after they expire,
 * so a late caller gets ExpiredToken rather than InvalidClientTokenId, as with AWS.
 */
import { accountOf, assumedRoleArn, parseRoleArn } from './arn.js';
import type { RoleArn } from './arn.js';
import {
  cryptoRandom,
  newSecretAccessKey,
  newSessionToken,
  newTemporaryAccessKeyId,
  roleUniqueId,
  userUniqueId,
} from './ids.js';
import type { RandomSource } from './ids.js';
import type { Tag } from './validation.js';

export interface BaseCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Set for base credentials that are themselves a session (e.g. instance-profile credentials). */
  readonly sessionToken?: string;
  /**
   * The principal; default `arn:aws:iam::<accountId>:user/iam4kube`. An IAM role ARN stands for a session of that
   * role (as instance-profile credentials are): the caller becomes `arn:aws:sts::<account>:assumed-role/<name>/<sessionName>`.
   */
  readonly arn?: string;
  /** Session name when `arn` is a role ARN; default 'node'. */
  readonly sessionName?: string;
  /** GetCallerIdentity's UserId; derived from the ARN by default. */
  readonly userId?: string;
}

/** A caller as GetCallerIdentity describes it. */
export interface Principal {
  readonly arn: string;
  readonly userId: string;
  readonly accountId: string;
  /** True for sessions this emulator issued: assuming a role with them is role chaining. */
  readonly issued: boolean;
}

export interface IssuedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Milliseconds since the epoch. */
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly roleArn: string;
  readonly roleSessionName: string;
  readonly assumedRoleArn: string;
  readonly assumedRoleId: string;
  readonly accountId: string;
  readonly callerArn: string;
  readonly externalId?: string;
  readonly sourceIdentity?: string;
  readonly tags: readonly Tag[];
  readonly transitiveTagKeys: readonly string[];
}

/** What authentication needs to know about an access key. */
export interface KnownCredentials {
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** Undefined for base credentials, which never expire. */
  readonly expiresAt?: number;
  readonly principal: Principal;
}

export interface IssueRequest {
  readonly role: RoleArn;
  readonly roleSessionName: string;
  readonly durationSeconds: number;
  readonly caller: Principal;
  readonly now: number;
  readonly externalId?: string;
  readonly sourceIdentity?: string;
  readonly tags: readonly Tag[];
  readonly transitiveTagKeys: readonly string[];
}

export interface IdentityStore {
  find(accessKeyId: string): KnownCredentials | undefined;
  issue(request: IssueRequest): IssuedCredentials;
  /** Every credential set issued so far, oldest first. */
  issued(): readonly IssuedCredentials[];
}

export interface IdentityStoreOptions {
  readonly accountId: string;
  readonly baseCredentials: readonly BaseCredentials[];
  readonly random?: RandomSource;
}

/** UserId as GetCallerIdentity reports it for a base principal. */
export function defaultUserId(arn: string, accountId: string): string {
  const resource = arn.split(':').slice(5).join(':');
  if (resource === 'root') return accountId;
  const assumed = /^assumed-role\/([^/]+)\/(.+)$/.exec(resource);
  if (assumed) {
    const roleArn = `arn:${arn.split(':')[1]}:iam::${accountId}:role/${assumed[1]}`;
    return `${roleUniqueId(roleArn)}:${assumed[2]}`;
  }
  if (resource.startsWith('role/')) return roleUniqueId(arn);
  return userUniqueId(arn);
}

export function createIdentityStore(options: IdentityStoreOptions): IdentityStore {
  const random = options.random ?? cryptoRandom;
  const byKey = new Map<string, KnownCredentials>();
  const issued: IssuedCredentials[] = [];

  for (const base of options.baseCredentials) {
    const configured = base.arn ?? `arn:aws:iam::${options.accountId}:user/iam4kube`;
    const role = parseRoleArn(configured);
    // Nobody calls AWS as a bare role: role credentials always belong to a session of it.
    const session = base.sessionName ?? 'node';
    const arn = role ? assumedRoleArn(role, session) : configured;
    const accountId = accountOf(arn) ?? options.accountId;
    const userId = base.userId ?? (role ? `${roleUniqueId(role.arn)}:${session}` : defaultUserId(arn, accountId));
    byKey.set(base.accessKeyId, {
      secretAccessKey: base.secretAccessKey,
      ...(base.sessionToken !== undefined && { sessionToken: base.sessionToken }),
      principal: { arn, accountId, userId, issued: false },
    });
  }

  return {
    find: (accessKeyId) => byKey.get(accessKeyId),
    issued: () => [...issued],
    issue(request) {
      let accessKeyId = newTemporaryAccessKeyId(random);
      while (byKey.has(accessKeyId)) accessKeyId = newTemporaryAccessKeyId(random);
      const assumedRoleId = `${roleUniqueId(request.role.arn)}:${request.roleSessionName}`;
      const credentials: IssuedCredentials = {
        accessKeyId,
        secretAccessKey: newSecretAccessKey(random),
        sessionToken: newSessionToken(random),
        issuedAt: request.now,
        // AWS reports expiry with second precision.
        expiresAt: Math.floor(request.now / 1000) * 1000 + request.durationSeconds * 1000,
        roleArn: request.role.arn,
        roleSessionName: request.roleSessionName,
        assumedRoleArn: assumedRoleArn(request.role, request.roleSessionName),
        assumedRoleId,
        accountId: request.role.accountId,
        callerArn: request.caller.arn,
        ...(request.externalId !== undefined && { externalId: request.externalId }),
        ...(request.sourceIdentity !== undefined && { sourceIdentity: request.sourceIdentity }),
        tags: request.tags,
        transitiveTagKeys: request.transitiveTagKeys,
      };
      issued.push(credentials);
      byKey.set(accessKeyId, {
        secretAccessKey: credentials.secretAccessKey,
        sessionToken: credentials.sessionToken,
        expiresAt: credentials.expiresAt,
        principal: {
          arn: credentials.assumedRoleArn,
          userId: assumedRoleId,
          accountId: credentials.accountId,
          issued: true,
        },
      });
      return credentials;
    },
  };
}
