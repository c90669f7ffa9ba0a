import { parseAllDocuments } from 'yaml';
import type { KubeObject } from './object.js';
import { isObject } from './object.js';

/** kubectl-like creation order: what others depend on first. */
const ORDER: Record<string, number> = {
  Namespace: 0,
  Node: 1,
  ServiceAccount: 2,
  Secret: 3,
  ConfigMap: 3,
  Service: 4,
  Endpoints: 5,
  EndpointSlice: 5,
  Pod: 7,
};

/**
 * Parses multi-document YAML (and `kind: List` documents) into objects, namespaces first and pods last, keeping
 * the file order otherwise. Throws on a syntax error or a document that is not a Kubernetes object.
 */
export function parseManifests(text: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const items = isObject(value) && value['kind'] === 'List' && Array.isArray(value['items']) ? value['items'] : [value];
    for (const item of items) {
      if (!isObject(item) || typeof item['kind'] !== 'string' || typeof item['apiVersion'] !== 'string') {
        throw new Error(`not a Kubernetes object (apiVersion and kind are required): ${JSON.stringify(item).slice(0, 200)}`);
      }
      objects.push({ ...item, metadata: isObject(item['metadata']) ? item['metadata'] : {} } as KubeObject);
    }
  }
  return objects
    .map((obj, index) => ({ obj, index, rank: ORDER[obj.kind ?? ''] ?? 6 }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((entry) => entry.obj);
}
