import { notAcceptable } from './errors.js';

/** What the client asked the body to look like. */
export type Representation =
  | { readonly as: 'object' }
  | { readonly as: 'Table'; readonly version: string }
  | { readonly as: 'PartialObjectMetadata'; readonly version: string }
  | { readonly as: 'APIGroupDiscoveryList'; readonly version: string };

interface MediaRange {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
}

export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header || header.trim() === '') return [{ type: '*/*', params: {} }];
  return header.split(',').map((part) => {
    const [type, ...rest] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
    }
    return { type: (type ?? '').toLowerCase(), params };
  });
}

export type Endpoint = 'get' | 'list' | 'watch' | 'discovery';

function acceptable(range: MediaRange, endpoint: Endpoint): Representation | undefined {
  const jsonish = range.type === 'application/json' || range.type === '*/*' || range.type === 'application/*';
  if (!jsonish) return undefined;
  const { as, g, v } = range.params;
  if (as === undefined) return { as: 'object' };
  if (endpoint === 'discovery') {
    if (as === 'APIGroupDiscoveryList' && g === 'apidiscovery.k8s.io' && (v === 'v2' || v === 'v2beta1')) {
      return { as: 'APIGroupDiscoveryList', version: v };
    }
    return undefined;
  }
  if (g !== 'meta.k8s.io' || (v !== 'v1' && v !== 'v1beta1')) return undefined;
  if (as === 'Table') return { as: 'Table', version: v };
  if (as === 'PartialObjectMetadata' || (as === 'PartialObjectMetadataList' && endpoint !== 'get')) {
    return { as: 'PartialObjectMetadata', version: v };
  }
  return undefined;
}

/** The first acceptable entry of the Accept list (order wins, as in the real server's negotiation); 406 otherwise. */
export function negotiate(header: string | undefined, endpoint: Endpoint): Representation {
  for (const range of parseAccept(header)) {
    const rep = acceptable(range, endpoint);
    if (rep) return rep;
  }
  throw notAcceptable();
}

/** The media type of a request body, without parameters. */
export function bodyType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}
