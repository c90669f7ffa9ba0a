/** Temporary AWS credentials, as STS issued them. Times in ms since the epoch. */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: number;
  readonly issuedAt: number;
}

/** An STS session tag. */
export interface SessionTag {
  readonly key: string;
  readonly value: string;
}

export interface AssumeRoleRequest {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly externalId: string | undefined;
  readonly durationSeconds: number;
  /** Session tags (needs sts:TagSession in the role's trust policy); empty when off. */
  readonly tags: readonly SessionTag[];
  /** Needs sts:SetSourceIdentity in the role's trust policy; undefined when off. */
  readonly sourceIdentity: string | undefined;
}

/** The one STS method the credentials engine uses. */
export interface Assumer {
  assumeRole(request: AssumeRoleRequest, signal?: AbortSignal): Promise<Credentials>;
}

/**
 * How urgent an STS call is: `first` (no usable credentials: requests or readiness wait for it), `refresh` (valid
 * credentials exist), `parked` (a retry of a role STS refused). A limiter runs the more urgent ones first, so retries of
 * broken roles never delay the others.
 */
export type CallPriority = 'first' | 'refresh' | 'parked';

/**
 * STS calls on the wire at once: the limiter starts no more than this, and the STS client has as many sockets, so a
 * call never waits in the HTTP client's queue while its --sts-timeout runs (it waits in the limiter, untimed).
 */
export const MAX_STS_CALLS_IN_FLIGHT = 50;

/** Every STS call goes through one limiter. */
export interface Limiter {
  schedule<T>(task: () => Promise<T>, priority: CallPriority): Promise<T>;
  /** Calls waiting for their turn. */
  queued(): number;
}

/** A failure to get credentials, with whether retrying soon can help. */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
  constructor(
    message: string,
    readonly code: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}
