/**
 * The AWS Query protocol's request parameters: `application/x-www-form-urlencoded` pairs in the body (and, for GET,
 * in the URL). Lists are flattened as `Name.member.1`, `Name.member.2`; lists of structures as
 * `Name.member.1.Field`; an empty list is sent as a bare `Name=`.
 */
export type QueryParams = ReadonlyMap<string, string>;

/** Parses each form-encoded source in order; the first occurrence of a name wins. */
export function parseQueryParams(...sources: readonly string[]): QueryParams {
  const params = new Map<string, string>();
  for (const source of sources) {
    for (const [name, value] of new URLSearchParams(source)) {
      if (!params.has(name)) params.set(name, value);
    }
  }
  return params;
}

/** Member indices of `Name.member.N...`, in numeric order. */
function memberIndices(params: QueryParams, name: string): number[] {
  const prefix = `${name}.member.`;
  const indices = new Set<number>();
  for (const key of params.keys()) {
    if (!key.startsWith(prefix)) continue;
    const index = Number.parseInt(key.slice(prefix.length), 10);
    if (Number.isSafeInteger(index) && index > 0) indices.add(index);
  }
  return [...indices].sort((a, b) => a - b);
}

/** A list of strings, or undefined when the request does not mention the list at all. */
export function readStringList(params: QueryParams, name: string): string[] | undefined {
  const indices = memberIndices(params, name);
  if (indices.length === 0) return params.has(name) ? [] : undefined;
  return indices.map((i) => params.get(`${name}.member.${i}`) ?? '');
}

/** A list of structures with the given fields (a missing field is undefined), or undefined when absent. */
export function readStructList<F extends string>(
  params: QueryParams,
  name: string,
  fields: readonly F[],
): Array<Record<F, string | undefined>> | undefined {
  const indices = memberIndices(params, name);
  if (indices.length === 0) return params.has(name) ? [] : undefined;
  return indices.map((i) => {
    const entry = {} as Record<F, string | undefined>;
    for (const field of fields) entry[field] = params.get(`${name}.member.${i}.${field}`);
    return entry;
  });
}
