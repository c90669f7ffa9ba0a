import type { Credentials } from '../credentials/credentials.js';

/** `2026-01-01T00:00:00Z`: second precision and `Z`, as EC2 writes it (botocore mis-parses milliseconds). */
export function imdsTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The EC2 credentials document every AWS SDK parses. `Code` must be exactly "Success" (Go SDK v1). */
export function credentialsDocument(c: Credentials): string {
  return JSON.stringify(
    {
      Code: 'Success',
      LastUpdated: imdsTime(c.issuedAt),
      Type: 'AWS-HMAC',
      AccessKeyId: c.accessKeyId,
      SecretAccessKey: c.secretAccessKey,
      Token: c.sessionToken,
      Expiration: imdsTime(c.expiration),
    },
    null,
    2,
  );
}
