/**
 * STS's XML responses (AWS Query protocol), rendered as pure functions in the element order of AWS's documented
 * examples. Times are ISO 8601 with second precision and a `Z`, as AWS writes them.
 */
import type { AssumeRoleOutcome, CallerIdentity } from './actions.js';
import type { StsError } from './errors.js';

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

type Node = readonly [name: string, content: string | readonly (Node | undefined)[]];

/** Escapes text content (quotes need no escaping outside attributes, and AWS leaves them as they are). */
export function escapeXml(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

function render(node: Node, depth: number, attributes = ''): string {
  const [name, content] = node;
  const pad = '  '.repeat(depth);
  if (typeof content === 'string') return `${pad}<${name}${attributes}>${escapeXml(content)}</${name}>\n`;
  const children = content.filter((c): c is Node => c !== undefined).map((c) => render(c, depth + 1)).join('');
  return `${pad}<${name}${attributes}>\n${children}${pad}</${name}>\n`;
}

function document(root: Node): string {
  return render(root, 0, ` xmlns="${STS_NAMESPACE}"`);
}

/** `2026-11-23T11:22:34Z`. */
export function formatTimestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function metadata(requestId: string): Node {
  return ['ResponseMetadata', [['RequestId', requestId]]];
}

export function renderAssumeRole(outcome: AssumeRoleOutcome, requestId: string): string {
  const c = outcome.credentials;
  return document([
    'AssumeRoleResponse',
    [
      [
        'AssumeRoleResult',
        [
          c.sourceIdentity !== undefined ? ['SourceIdentity', c.sourceIdentity] : undefined,
          [
            'AssumedRoleUser',
            [
              ['Arn', c.assumedRoleArn],
              ['AssumedRoleId', c.assumedRoleId],
            ],
          ],
          [
            'Credentials',
            [
              ['AccessKeyId', c.accessKeyId],
              ['SecretAccessKey', c.secretAccessKey],
              ['SessionToken', c.sessionToken],
              ['Expiration', formatTimestamp(c.expiresAt)],
            ],
          ],
          outcome.packedPolicySize !== undefined ? ['PackedPolicySize', String(outcome.packedPolicySize)] : undefined,
        ],
      ],
      metadata(requestId),
    ],
  ]);
}

export function renderGetCallerIdentity(identity: CallerIdentity, requestId: string): string {
  return document([
    'GetCallerIdentityResponse',
    [
      [
        'GetCallerIdentityResult',
        [
          ['Arn', identity.arn],
          ['UserId', identity.userId],
          ['Account', identity.account],
        ],
      ],
      metadata(requestId),
    ],
  ]);
}

export function renderError(error: StsError, requestId: string): string {
  return document([
    'ErrorResponse',
    [
      [
        'Error',
        [
          ['Type', error.type],
          ['Code', error.code],
          ['Message', error.message],
        ],
      ],
      ['RequestId', requestId],
    ],
  ]);
}
