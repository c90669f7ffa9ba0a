// Validates Kubernetes objects with two maintained, generated-from-the-API libraries and no schema of our own:
// - kubernetes-models (JSON-schema validation compiled from the Kubernetes OpenAPI document): types, formats,
//   required fields, enums;
// - @kubernetes/client-node's typed models (also generated from the OpenAPI document): a round trip through them
//   drops every field the API does not define, which is what the API server's strict field validation
//   (kubectl's default) rejects and what kubernetes-models' schemas let through.
import * as kubeModels from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import type { ManifestObject } from './manifests.js';

/** `V1Deployment` for apps/v1 Deployment, `V1beta1Foo` for x/v1beta1 Foo: client-node's model names. */
function clientNodeType(o: ManifestObject): string {
  const version = o.apiVersion.split('/').pop()!;
  return `${version[0]!.toUpperCase()}${version.slice(1)}${o.kind}`;
}

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

async function kubernetesModel(o: ManifestObject): Promise<ModelClass | undefined> {
  try {
    const module = (await import(`kubernetes-models/${o.apiVersion}/${o.kind}`)) as Record<string, ModelClass>;
    return module[o.kind];
  } catch {
    return undefined;
  }
}

/** Paths of `original` that are missing or different in `copy`. */
function differences(original: unknown, copy: unknown, path: string): string[] {
  if (Array.isArray(original)) {
    if (!Array.isArray(copy)) return [path];
    return original.flatMap((item, i) => differences(item, copy[i], `${path}[${i}]`));
  }
  if (original !== null && typeof original === 'object') {
    if (copy === null || typeof copy !== 'object') return [path];
    return Object.entries(original).flatMap(([key, value]) =>
      key in copy ? differences(value, (copy as Record<string, unknown>)[key], `${path}.${key}`) : [`${path}.${key}`],
    );
  }
  return original === copy ? [] : [path];
}

/**
 * Every problem found in one object, as readable lines; empty when the object is valid for the Kubernetes API that
 * both libraries were generated from (1.34 for kubernetes-models 5.1 and client-node 1.4).
 */
export async function schemaProblems(o: ManifestObject): Promise<string[]> {
  const where = `${o.kind}/${o.metadata?.name ?? '?'}`;
  const Model = await kubernetesModel(o);
  const type = clientNodeType(o);
  if (Model === undefined || !(type in kubeModels)) return [`${where}: ${o.apiVersion} ${o.kind} is not a Kubernetes API type`];
  const problems: string[] = [];
  try {
    new Model(structuredClone(o)).validate();
  } catch (err) {
    problems.push(`${where}: ${(err as Error).message}`);
  }
  const roundTripped = ObjectSerializer.serialize(ObjectSerializer.deserialize(structuredClone(o), type, ''), type, '') as unknown;
  for (const path of differences(o, roundTripped, '')) problems.push(`${where}: unknown field ${path.slice(1)}`);
  return problems;
}
