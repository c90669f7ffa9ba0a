/**
 * Normalises a metadata request path the way real IMDS treats the paths we serve: repeated slashes collapse (the
 * Java SDK builds `//latest/...` from an endpoint with a trailing slash), and a dated version (`2021-07-15`) means
 * the same as `latest`. Returns undefined for anything that cannot be one of our paths (encoded characters, `..`).
 */
export function normalizeMetadataPath(rawPath: string): string | undefined {
  if (rawPath.includes('%') || rawPath.includes('\\')) return undefined;
  const collapsed = rawPath.replace(/\/{2,}/g, '/');
  const segments = collapsed.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return undefined;
  if (segments[1] !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(segments[1])) segments[1] = 'latest';
  return segments.join('/');
}
