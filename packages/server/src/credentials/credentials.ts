/** Temporary AWS credentials, as STS issued them. Times in ms since the epoch. */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: number;
  readonly issuedAt: number;
}

export interface AssumeRoleRequest {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly externalId: string | undefined;
  readonly durationSeconds: number;
}

/** The one STS method the credentials engine uses. */
export interface Assumer {
  assumeRole(request: AssumeRoleRequest, signal?: AbortSignal): Promise<Credentials>;
}

/** Every STS call goes through one limiter. */
export interface Limiter {
  schedule<T>(task: () => Promise<T>): Promise<T>;
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
