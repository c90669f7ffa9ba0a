import type { ResourceInfo, ResourceTable } from './resources.js';

/**
 * Finds a resource by what a test would type: plural, singular, short name or kind ("pods", "pod", "po", "Pod"),
 * optionally qualified by group ("endpointslices.discovery.k8s.io"). The core group wins on ambiguity, as in kubectl.
 */
export function resolveResource(table: ResourceTable, name: string): ResourceInfo {
  const dot = name.indexOf('.');
  const [base, group] = dot >= 0 ? [name.slice(0, dot), name.slice(dot + 1)] : [name, undefined];
  const lower = base.toLowerCase();
  const candidates = table.all.filter(
    (info) =>
      (group === undefined || info.group === group) &&
      (info.plural === lower || info.singular === lower || info.kind.toLowerCase() === lower || info.shortNames.includes(lower)),
  );
  const found = candidates.find((info) => info.group === '') ?? candidates[0];
  if (!found) throw new Error(`unknown resource "${name}"`);
  return found;
}
