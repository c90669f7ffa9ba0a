import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { MAX_STS_CALLS_IN_FLIGHT, type Assumer, type Credentials } from './credentials.js';
import { classifyStsError } from './classify-error.js';

export interface StsAssumerOptions {
  readonly region: string;
  /** A non-default STS endpoint (regional VPC endpoint, or a local emulator in tests). */
  readonly endpoint: string | undefined;
  readonly now: () => number;
  /** Fixed base credentials (tests); production leaves this out and uses the SDK's default chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
}

/**
 * The Assumer adapter over @aws-sdk/client-sts. Base credentials come from the SDK's default chain (the node's
 * instance role, IRSA, or environment variables). The SDK's own retries are off: the credentials engine retries
 * with its own backoff, through its rate limiter, and bounds each call with the signal it passes.
 */
export function createStsAssumer(options: StsAssumerOptions): Assumer {
  const client = new STSClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: 1,
    // As many sockets as the limiter lets calls run: no call queues here while its timeout runs.
    requestHandler: { httpAgent: { maxSockets: MAX_STS_CALLS_IN_FLIGHT }, httpsAgent: { maxSockets: MAX_STS_CALLS_IN_FLIGHT } },
    ...(options.credentials ? { credentials: options.credentials } : {}),
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
            ...(request.tags.length > 0 ? { Tags: request.tags.map((t) => ({ Key: t.key, Value: t.value })) } : {}),
            ...(request.sourceIdentity !== undefined ? { SourceIdentity: request.sourceIdentity } : {}),
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
