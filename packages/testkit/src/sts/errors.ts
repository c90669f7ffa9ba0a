/**
 * STS errors as AWS reports them: a code, an HTTP status, a fault type (Sender for 4xx, Receiver for 5xx) and a
 * message. Handlers throw StsError; the server maps every error down one path (see server.ts).
 *
 * Messages marked "observed" are the texts AWS returns (quoted in public bug reports and AWS documentation);
 * the rest are close paraphrases where AWS's exact text is not published.
 */
export type StsFault = 'Sender' | 'Receiver';

export class StsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly type: StsFault;

  constructor(code: string, message: string, status: number, type: StsFault = status >= 500 ? 'Receiver' : 'Sender') {
    super(message);
    this.name = 'StsError';
    this.code = code;
    this.status = status;
    this.type = type;
  }
}

/** Status and default message of every code the emulator emits (and of the ones tests ask it to inject). */
const CATALOGUE: Readonly<Record<string, { status: number; message: string }>> = {
  ValidationError: { status: 400, message: 'The request failed validation.' },
  // observed: "Rate exceeded" is STS's throttling text.
  Throttling: { status: 400, message: 'Rate exceeded' },
  AccessDenied: { status: 403, message: 'Access denied' },
  RegionDisabledException: {
    status: 403,
    message: 'STS is not activated in this region for account. Your account administrator can activate STS in this region using the IAM Console.',
  },
  // observed: 403 with code ExpiredToken (aws/aws-sdk-java-v2#1649 shows "Status Code: 403" from the real service).
  ExpiredToken: { status: 403, message: 'The security token included in the request is expired' },
  // observed texts for the four authentication failures below.
  InvalidClientTokenId: { status: 403, message: 'The security token included in the request is invalid.' },
  SignatureDoesNotMatch: {
    status: 403,
    message:
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  },
  MissingAuthenticationToken: { status: 403, message: 'Request is missing Authentication Token' },
  IncompleteSignature: { status: 400, message: 'The request signature does not conform to AWS standards.' },
  InvalidAction: { status: 400, message: 'The action or operation requested is invalid.' },
  MalformedPolicyDocument: { status: 400, message: 'The policy document is malformed.' },
  PackedPolicyTooLarge: { status: 400, message: 'Packed size of the session policies and session tags is too large.' },
  InternalFailure: {
    status: 500,
    message: 'The request processing has failed because of an unknown error, exception or failure.',
  },
  ServiceUnavailable: { status: 503, message: 'The request has failed due to a temporary failure of the server.' },
};

/** The status AWS uses for `code`, or `fallback` for codes outside the catalogue. */
export function statusOf(code: string, fallback = 400): number {
  return CATALOGUE[code]?.status ?? fallback;
}

/** An StsError with the catalogue's status and (unless given) message; unknown codes get `status` or 400. */
export function stsError(code: string, message?: string, status?: number): StsError {
  const entry = CATALOGUE[code];
  return new StsError(code, message ?? entry?.message ?? code, status ?? entry?.status ?? 400);
}

/** observed: "User: <caller> is not authorized to perform: sts:AssumeRole on resource: <role>". */
export function accessDenied(callerArn: string, roleArn: string): StsError {
  return stsError('AccessDenied', `User: ${callerArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
}

/** observed: "Could not find operation <Action> for version <Version>". */
export function invalidAction(action: string, version: string | undefined): StsError {
  return stsError('InvalidAction', `Could not find operation ${action} for version ${version ?? 'NO_VERSION_SPECIFIED'}`);
}

export function regionDisabled(accountId: string): StsError {
  return stsError(
    'RegionDisabledException',
    `STS is not activated in this region for account:${accountId}. Your account administrator can activate STS in this region using the IAM Console.`,
  );
}

/** Keeps internal failures opaque: anything that is not an StsError becomes InternalFailure. */
export function toStsError(err: unknown): StsError {
  return err instanceof StsError ? err : stsError('InternalFailure');
}
