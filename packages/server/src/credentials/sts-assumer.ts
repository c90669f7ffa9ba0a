import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { Assumer, Credentials } from './credentials.js';
import { classifyStsError } from './classify-error.js';

export interface StsAssumerOptions {
  readonly region: string;
  /** A non-default STS endpoint (regional VPC endpoint, or a local emulator in tests). */
  readonly endpoint: string | undefined;
  readonly now: () => number;
}

/**
 * The Assumer adapter over @aws-sdk/client-sts. Base credentials come from the SDK's default chain (the node's
 * instance role, IRSA, or environment variables). The SDK's own retries are off: the credentials engine retries
 * with its own backoff, through its rate limiter.
 */
export function createStsAssumer(options: StsAssumerOptions): Assumer {
  const client = new STSClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: 1,
  });
  return {
    async assumeRole(request, signal) {
      try {
        const out = await client.send(
          new AssumeRoleCommand({
            RoleArn: request.roleArn,
            RoleSessionName: request.sessionName,
            DurationSeconds: request.durationSeconds,
            ...(request.externalId !== undefined ? { ExternalId: request.externalId } : {}),
          }),
          signal ? { abortSignal: signal } : {},
        );
        const c = out.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
          throw new Error('STS AssumeRole returned no credentials');
        }
        return {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          sessionToken: c.SessionToken,
          expiration: c.Expiration.getTime(),
          issuedAt: options.now(),
        } satisfies Credentials;
      } catch (err) {
        throw classifyStsError(err);
      }
    },
  };
}
