/**
 * Normalises a metadata request path the way real IMDS treats the paths we serve: repeated slashes collapse (the
 * Java SDK builds `//latest/...` from an endpoint with a trailing slash), and a dated version (`2021-07-15`) means
 * the same as `latest`. Returns undefined for anything that cannot be one of our paths: percent-encoded characters
 * (an encoded slash or dot must not sneak past the matching), backslashes, `.` and `..` segments, anything not
 * starting with `/`.
 */
export function normalizeMetadataPath(rawPath: string): string | undefined {
  if (!rawPath.startsWith('/') || rawPath.includes('%') || rawPath.includes('\\')) return undefined;
  const segments = rawPath.replace(/\/{2,}/g, '/').split('/');
  if (segments.some((s) => s === '..' || s === '.')) return undefined;
  if (segments[1] !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(segments[1])) segments[1] = 'latest';
  return segments.join('/');
}

/** Every answer the metadata API has. Anything else is a 404. */
export type RouteName =
  | 'token'
  | 'meta-data'
  | 'iam'
  | 'credentials-list'
  | 'credentials'
  | 'credentials-extended-list'
  | 'credentials-extended'
  | 'placement'
  | 'availability-zone'
  | 'region'
  | 'dynamic'
  | 'instance-identity'
  | 'identity-document';

export interface Route {
  readonly name: RouteName;
  /** The one method that answers; HEAD is accepted wherever GET is. */
  readonly method: 'GET' | 'PUT';
  /** The role name in `security-credentials/<name>`. */
  readonly role?: string;
}

/** Leaf and listing paths, each with and without a trailing slash (SDKs use both). */
const FIXED: ReadonlyMap<string, Route> = new Map(
  (
    [
      ['/latest/api/token', 'token', 'PUT'],
      ['/latest/meta-data', 'meta-data', 'GET'],
      ['/latest/meta-data/iam', 'iam', 'GET'],
      ['/latest/meta-data/iam/security-credentials', 'credentials-list', 'GET'],
      ['/latest/meta-data/iam/security-credentials-extended', 'credentials-extended-list', 'GET'],
      ['/latest/meta-data/placement', 'placement', 'GET'],
      ['/latest/meta-data/placement/availability-zone', 'availability-zone', 'GET'],
      ['/latest/meta-data/placement/region', 'region', 'GET'],
      ['/latest/dynamic', 'dynamic', 'GET'],
      ['/latest/dynamic/instance-identity', 'instance-identity', 'GET'],
      ['/latest/dynamic/instance-identity/document', 'identity-document', 'GET'],
    ] as const
  ).map(([path, name, method]) => [path, { name, method }]),
);

const CREDENTIALS = /^\/latest\/meta-data\/iam\/(security-credentials|security-credentials-extended)\/([\w+=,.@-]{1,64})\/?$/;

/** The route of a normalised path, or undefined (404). */
export function matchRoute(path: string): Route | undefined {
  const fixed = FIXED.get(path.endsWith('/') && path.length > 1 ? path.slice(0, -1) : path);
  if (fixed) return fixed.name === 'token' && path.endsWith('/') ? undefined : fixed;
  const m = CREDENTIALS.exec(path);
  if (!m) return undefined;
  return { name: m[1] === 'security-credentials' ? 'credentials' : 'credentials-extended', method: 'GET', role: m[2]! };
}

/** The route of a raw request path (normalised first), or undefined (404). */
export function routeOfPath(rawPath: string): Route | undefined {
  const path = normalizeMetadataPath(rawPath);
  return path === undefined ? undefined : matchRoute(path);
}
