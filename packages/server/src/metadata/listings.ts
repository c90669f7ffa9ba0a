/**
 * The bodies of the listings and of the placement answers. Listings name only what this API serves (one entry per
 * line, no trailing newline, `/` after entries that are themselves listings, as EC2 writes them).
 */
export const LISTINGS = {
  'meta-data': ['iam/', 'placement/'].join('\n'),
  iam: ['security-credentials/'].join('\n'),
  placement: ['availability-zone', 'region'].join('\n'),
  dynamic: ['instance-identity/'].join('\n'),
  'instance-identity': ['document'].join('\n'),
} as const;

/** Where the caller's node is, from its topology labels; either may be unknown. */
export interface Placement {
  readonly zone?: string | undefined;
  readonly region?: string | undefined;
}

/**
 * The instance identity document, with only the fields we know truthfully (the Java SDKs read `region` from it as
 * the last step of their region chain). Undefined when nothing is known.
 */
export function identityDocument(p: Placement | undefined): string | undefined {
  if (!p?.zone && !p?.region) return undefined;
  return JSON.stringify(
    { ...(p.zone ? { availabilityZone: p.zone } : {}), ...(p.region ? { region: p.region } : {}) },
    null,
    2,
  );
}
