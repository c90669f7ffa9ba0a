import type { Credentials } from '../credentials/credentials.js';

/** `2026-01-01T00:00:00Z`: second precision and `Z`, as EC2 writes it (botocore mis-parses milliseconds). */
export function imdsTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The EC2 credentials document every AWS SDK parses. `Code` must be exactly "Success" (Go SDK v1). With an account
 * ID it is the `security-credentials-extended` form (Java v2, Ruby, PHP and newer JS SDKs ask for it first and read
 * `AccountId` for account-based endpoints); the classic form has no `AccountId`, as on EC2.
 */
export function credentialsDocument(c: Credentials, accountId?: string): string {
  return JSON.stringify(
    {
      Code: 'Success',
      LastUpdated: imdsTime(c.issuedAt),
      Type: 'AWS-HMAC',
      AccessKeyId: c.accessKeyId,
      SecretAccessKey: c.secretAccessKey,
      Token: c.sessionToken,
      Expiration: imdsTime(c.expiration),
      ...(accountId === undefined ? {} : { AccountId: accountId }),
    },
    null,
    2,
  );
}

/** The 12-digit account of a role ARN (`arn:aws:iam::123456789012:role/x`), which is the credentials' account. */
export function accountOfRoleArn(roleArn: string): string | undefined {
  return /^arn:[\w-]+:iam::(\d{12}):role\//.exec(roleArn)?.[1];
}
