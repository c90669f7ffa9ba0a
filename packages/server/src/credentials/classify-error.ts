import { CredentialsError } from './credentials.js';

/** STS error codes that retrying will not fix until someone changes IAM or the annotation. */
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
  const e = err as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const code = e.Code ?? e.name ?? 'UnknownError';
  const message = (e.message ?? String(err)).split('\n')[0]!;
  return new CredentialsError(message, code, PERMANENT_CODES.has(code));
}
