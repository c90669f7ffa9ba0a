import type { KubeObject, ListResult } from './kube-object.js';

/**
 * A whole list, page by page (`page` fetches one as JSON text): the items of every page, and the first page's
 * resourceVersion (a paged list is a snapshot at that version).
 */
export async function listAll(page: (cont: string | undefined) => Promise<string>): Promise<ListResult> {
  const items: KubeObject[] = [];
  let resourceVersion = '';
  let cont: string | undefined;
  do {
    const parsed = JSON.parse(await page(cont)) as { items?: KubeObject[]; metadata?: { resourceVersion?: string; continue?: string } };
    if (!resourceVersion) resourceVersion = parsed.metadata?.resourceVersion ?? '';
    for (const item of parsed.items ?? []) items.push(item);
    cont = parsed.metadata?.continue || undefined;
  } while (cont);
  return { items, resourceVersion } satisfies ListResult;
}
