import { randomUUID } from 'node:crypto';
import type { Clock } from './clock.js';
import { formatTime } from './clock.js';
import type { ClusterIpAllocator } from './cluster-ip.js';
import { createClusterIpAllocator } from './cluster-ip.js';
import { ApiError, STALE_OBJECT, alreadyExists, badRequest, conflict, invalid, notFound } from './errors.js';
import type { KubeObject } from './object.js';
import { clone, isObject } from './object.js';
import type { ResourceInfo, ResourceTable } from './resources.js';
import { groupVersion } from './resources.js';
import type { ObjectStore } from './store.js';
import { applyDefaults, canonical, initialStatus, sameSpec } from './strategies.js';
import { validateMetadata } from './validation.js';

export interface RegistryOptions {
  readonly store: ObjectStore;
  readonly clock: Clock;
  readonly resources: ResourceTable;
  /** Create a `default` ServiceAccount in every new namespace (the serviceaccount controller's job). */
  readonly defaultServiceAccounts: boolean;
  /** Reject pods whose ServiceAccount does not exist (the ServiceAccount admission plugin). */
  readonly serviceAccountAdmission: boolean;
  readonly serviceCidr?: string;
}

export interface Target {
  readonly namespace: string;
  readonly name: string;
  readonly subresource?: 'status' | undefined;
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

function generateSuffix(): string {
  let out = '';
  for (let i = 0; i < 5; i++) out += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return out;
}

/**
 * Create and update with the real server's rules: defaults, server-owned metadata, the status subresource,
 * optimistic concurrency and no-op detection. Deletion lives in deletion.ts.
 */
export class Registry {
  readonly store: ObjectStore;
  readonly clock: Clock;
  readonly resources: ResourceTable;
  readonly #options: RegistryOptions;
  readonly #clusterIps: ClusterIpAllocator;

  constructor(options: RegistryOptions) {
    this.#options = options;
    this.store = options.store;
    this.clock = options.clock;
    this.resources = options.resources;
    this.#clusterIps = createClusterIpAllocator(options.serviceCidr);
  }

  get namespaces(): ResourceInfo {
    return this.resources.find('', 'v1', 'namespaces')!;
  }

  /** Decodes a request body into an object of this resource (missing kind/apiVersion default from the URL). */
  decode(info: ResourceInfo, body: unknown): KubeObject {
    if (!isObject(body)) throw badRequest('the body of the request must be a JSON object');
    const obj = clone(body) as KubeObject;
    const apiVersion = groupVersion(info);
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersion) {
      throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersion})`);
    }
    if (obj.kind !== undefined && obj.kind !== info.kind) {
      throw badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${info.kind})`);
    }
    if (obj.metadata !== undefined && !isObject(obj.metadata)) throw badRequest('metadata must be an object');
    return { ...obj, apiVersion, kind: info.kind, metadata: { ...(obj.metadata ?? {}) } };
  }

  create(info: ResourceInfo, body: unknown, namespace?: string): KubeObject {
    const obj = this.decode(info, body);
    const meta = obj.metadata;
    if (!info.namespaced) delete meta.namespace;
    else if (namespace !== undefined) {
      if (meta.namespace && meta.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace;
    }
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${generateSuffix()}`;
    this.#validate(info, obj);
    if (info.namespaced) this.#requireNamespace(meta.namespace ?? '');
    if (this.store.get(info, meta.namespace ?? '', meta.name!)) throw alreadyExists(info, meta.name!);

    for (const key of ['uid', 'resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields']) {
      delete meta[key];
    }
    meta.uid = randomUUID();
    meta.creationTimestamp = formatTime(this.clock.now());
    meta.generation = 1;
    if (info.statusSubresource && !info.keepStatusOnCreate) {
      const status = initialStatus(info);
      if (status) obj['status'] = status;
      else delete obj['status'];
    }
    applyDefaults(info, obj);
    this.#allocate(info, obj);
    this.#admit(info, obj);
    const stored = this.store.write(info, 'ADDED', obj);
    if (info === this.namespaces && this.#options.defaultServiceAccounts) this.#createDefaultServiceAccount(meta.name!);
    return stored;
  }

  /** PUT: replaces the object (or only its status with subresource "status"). */
  update(info: ResourceInfo, body: unknown, target: Target): KubeObject {
    const obj = this.decode(info, body);
    const meta = obj.metadata;
    if (meta.name !== undefined && meta.name !== target.name) {
      throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${target.name})`);
    }
    if (info.namespaced && meta.namespace && meta.namespace !== target.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    meta.name = target.name;
    if (info.namespaced) meta.namespace = target.namespace;
    else delete meta.namespace;
    const existing = this.store.get(info, target.namespace, target.name);
    if (!existing) {
      if (info.allowCreateOnUpdate && !target.subresource) return this.create(info, obj, info.namespaced ? target.namespace : undefined);
      throw notFound(info, target.name);
    }
    if (meta.resourceVersion && meta.resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(info, target.name, STALE_OBJECT);
    }
    return this.replace(info, existing, obj, target.subresource);
  }

  /** Writes `next` over `existing` with the server-owned fields restored; a no-op writes nothing. */
  replace(info: ResourceInfo, existing: KubeObject, next: KubeObject, subresource?: 'status'): KubeObject {
    let obj: KubeObject;
    if (subresource === 'status') {
      obj = { ...clone(existing), metadata: clone(existing.metadata) };
      if (next['status'] === undefined) delete obj['status'];
      else obj['status'] = clone(next['status']);
    } else {
      obj = clone(next);
      if (info.statusSubresource) {
        if (existing['status'] === undefined) delete obj['status'];
        else obj['status'] = clone(existing['status']);
      }
    }
    const meta: Record<string, unknown> = obj.metadata;
    const old: Record<string, unknown> = existing.metadata;
    for (const key of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'name', 'namespace']) {
      if (old[key] === undefined) delete meta[key];
      else meta[key] = old[key];
    }
    delete meta['generateName'];
    if (old['generateName'] !== undefined) meta['generateName'] = old['generateName'];
    applyDefaults(info, obj);
    this.#keepAllocated(info, obj, existing);
    this.#validate(info, obj);
    obj.metadata.generation = (existing.metadata.generation ?? 1) + (sameSpec(obj, existing) ? 0 : 1);
    obj.metadata.resourceVersion = existing.metadata.resourceVersion;
    if (canonical(obj) === canonical(existing)) return existing;
    if (obj.metadata.deletionTimestamp && (obj.metadata.finalizers ?? []).length === 0 && this.#removableOnceFinalized(info, obj)) {
      return this.store.remove(info, obj, obj);
    }
    return this.store.write(info, 'MODIFIED', obj);
  }

  #removableOnceFinalized(info: ResourceInfo, obj: KubeObject): boolean {
    // A terminating pod still waits for its grace period (the kubelet); everything else goes once unblocked.
    return !(info.plural === 'pods' && info.group === '' && (obj.metadata.deletionGracePeriodSeconds ?? 0) > 0);
  }

  #validate(info: ResourceInfo, obj: KubeObject): void {
    const causes = validateMetadata(obj, info.nameRule, info.namespaced);
    if (causes.length > 0) throw invalid(info, obj.metadata.name ?? '', causes);
  }

  #requireNamespace(namespace: string): void {
    const ns = this.store.get(this.namespaces, '', namespace);
    if (!ns) throw notFound(this.namespaces, namespace);
    if (ns.metadata.deletionTimestamp) {
      throw new ApiError(403, 'Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  #admit(info: ResourceInfo, obj: KubeObject): void {
    if (!this.#options.serviceAccountAdmission || info.group !== '' || info.plural !== 'pods') return;
    const sa = String((obj['spec'] as Record<string, unknown>)['serviceAccountName']);
    const saInfo = this.resources.find('', 'v1', 'serviceaccounts')!;
    if (!this.store.get(saInfo, obj.metadata.namespace ?? '', sa)) {
      throw new ApiError(
        403,
        'Forbidden',
        `pods "${obj.metadata.name}" is forbidden: error looking up service account ${obj.metadata.namespace}/${sa}: serviceaccount "${sa}" not found`,
        { name: obj.metadata.name ?? '', kind: 'pods' },
      );
    }
  }

  #allocate(info: ResourceInfo, obj: KubeObject): void {
    if (info.group !== '' || info.plural !== 'services') return;
    const spec = obj['spec'] as Record<string, unknown>;
    if (spec['type'] === 'ExternalName') return;
    if (!spec['clusterIP']) {
      const inUse = new Set(this.store.list(info).map((s) => String((s['spec'] as Record<string, unknown> | undefined)?.['clusterIP'])));
      spec['clusterIP'] = this.#clusterIps.allocate(inUse);
    }
    spec['clusterIPs'] ??= [spec['clusterIP']];
  }

  #keepAllocated(info: ResourceInfo, obj: KubeObject, existing: KubeObject): void {
    if (info.group !== '' || info.plural !== 'services') return;
    const spec = obj['spec'] as Record<string, unknown>;
    const old = (existing['spec'] ?? {}) as Record<string, unknown>;
    if (!spec['clusterIP'] && old['clusterIP']) spec['clusterIP'] = old['clusterIP'];
    if (!spec['clusterIPs'] && old['clusterIPs']) spec['clusterIPs'] = old['clusterIPs'];
  }

  #createDefaultServiceAccount(namespace: string): void {
    const sa = this.resources.find('', 'v1', 'serviceaccounts')!;
    if (this.store.get(sa, namespace, 'default')) return;
    this.create(sa, { metadata: { name: 'default', namespace } }, namespace);
  }
}
