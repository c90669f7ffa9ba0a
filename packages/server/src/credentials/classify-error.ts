import { CredentialsError } from './credentials.js';

/**
 * STS error codes that retrying will not fix until someone changes IAM or the annotation: they are about the role
 * (its trust policy, its account's region, the request we build for it). Everything else is transient: throttling,
 * 5xx, network errors and timeouts, and also errors about the server's own base credentials (InvalidClientTokenId,
 * ExpiredToken, SignatureDoesNotMatch), which hit every role alike and heal when the credentials rotate; parking
 * every role for them would make a replica look ready while it can serve nothing.
 */
const PERMANENT_CODES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'ValidationError',
  'RegionDisabledException',
  'MalformedPolicyDocument',
  'PackedPolicyTooLarge',
  'InvalidParameterValue',
]);

/** Turns whatever the STS client threw into a CredentialsError saying whether it is permanent. */
export function classifyStsError(err: unknown): CredentialsError {
  if (err instanceof CredentialsError) return err;
  const e = (err ?? {}) as { name?: string; Code?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  // SDK service errors carry the STS code as `name`. Node network errors carry theirs as `code` (ECONNRESET…), which
  // says more than the name the SDK gives some of them (TimeoutError for a reset connection).
  const systemCode = typeof e.code === 'string' && /^E[A-Z0-9_]+$/.test(e.code) ? e.code : undefined;
  const code = e.Code ?? systemCode ?? (e.name && e.name !== 'Error' ? e.name : undefined) ?? e.code ?? 'UnknownError';
  const message = (e.message ?? String(err)).split('\n')[0]!;
  return new CredentialsError(message, code, PERMANENT_CODES.has(code));
}

/** STS refused the DurationSeconds we asked for: the role's MaxSessionDuration is lower, or this is role chaining. */
export function isDurationTooLong(error: CredentialsError): boolean {
  return error.code === 'ValidationError' && /DurationSeconds/i.test(error.message);
}
