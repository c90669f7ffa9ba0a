/**
 * Authenticating a SigV4-signed request against the keys the emulator knows. Pure: the clock reading and the key
 * lookup are passed in. Throws the StsError AWS would answer with.
 */
import { stsError } from './errors.js';
import type { KnownCredentials, Principal } from './identity-store.js';
import { checkCredentialScope, checkRequestTime, headerValue, parseAuthorization } from './sigv4-parse.js';
import type { SignedRequest } from './sigv4-parse.js';
import { verifySignature } from './sigv4-verify.js';

export interface AuthenticateContext {
  readonly now: number;
  readonly service?: string;
  find(accessKeyId: string): KnownCredentials | undefined;
}

export interface Authenticated {
  readonly accessKeyId: string;
  readonly principal: Principal;
  readonly region: string;
}

export function authenticate(request: SignedRequest, context: AuthenticateContext): Authenticated {
  const auth = parseAuthorization(request);
  const known = context.find(auth.accessKeyId);
  if (!known) throw stsError('InvalidClientTokenId');
  // A session's key is only valid with its own token, and a long-term key with none.
  const token = headerValue(request, 'x-amz-security-token');
  if (token !== known.sessionToken) throw stsError('InvalidClientTokenId');
  // AWS reads expiry out of the session token before it checks the signature made with the token's secret.
  if (known.expiresAt !== undefined && known.expiresAt <= context.now) throw stsError('ExpiredToken');
  checkCredentialScope(auth, context.service ?? 'sts');
  checkRequestTime(auth, context.now);
  if (!verifySignature(request, auth, known.secretAccessKey)) throw stsError('SignatureDoesNotMatch');
  return { accessKeyId: auth.accessKeyId, principal: known.principal, region: auth.region };
}
