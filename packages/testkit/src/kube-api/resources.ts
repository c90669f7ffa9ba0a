import type { KubeObject } from './object.js';
import { getPath } from './object.js';

/** How a resource's name is validated on create (the real server's rules, per kind). */
export type NameRule = 'subdomain' | 'label' | 'dns1035' | 'segment';

/** One row of the resource table that drives routing, discovery, storage rules and selectors. */
export interface ResourceInfo {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly verbs: readonly string[];
  /** Has a `/status` subresource: status is ignored on writes to the main resource. */
  readonly statusSubresource: boolean;
  /** Status sent on create is kept (nodes) instead of being reset. */
  readonly keepStatusOnCreate: boolean;
  readonly nameRule: NameRule;
  /** DELETE answers with the object (true) or with a Success Status (false). */
  readonly returnDeletedObject: boolean;
  /** PUT on a missing object creates it. */
  readonly allowCreateOnUpdate: boolean;
  /** Field selector labels beyond metadata.name / metadata.namespace, with how to read them. */
  readonly fieldLabels: Readonly<Record<string, (obj: KubeObject) => string>>;
}

export interface ResourceTable {
  readonly all: readonly ResourceInfo[];
  find(group: string, version: string, plural: string): ResourceInfo | undefined;
  /** The resource for an object's apiVersion + kind (what applyManifests and create() need). */
  forKind(apiVersion: string, kind: string): ResourceInfo | undefined;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

function text(path: string, fallback = ''): (obj: KubeObject) => string {
  return (obj) => {
    const value = getPath(obj, path);
    return value === undefined || value === null ? fallback : String(value);
  };
}

const EVENT_FIELDS: Record<string, (obj: KubeObject) => string> = {
  'involvedObject.kind': text('involvedObject.kind'),
  'involvedObject.namespace': text('involvedObject.namespace'),
  'involvedObject.name': text('involvedObject.name'),
  'involvedObject.uid': text('involvedObject.uid'),
  'involvedObject.apiVersion': text('involvedObject.apiVersion'),
  'involvedObject.resourceVersion': text('involvedObject.resourceVersion'),
  'involvedObject.fieldPath': text('involvedObject.fieldPath'),
  reason: text('reason'),
  reportingComponent: text('reportingComponent'),
  source: text('source.component'),
  type: text('type'),
};

interface Spec extends Partial<ResourceInfo> {
  kind: string;
  plural: string;
}

function resource(spec: Spec): ResourceInfo {
  return {
    group: '',
    version: 'v1',
    singular: spec.kind.toLowerCase(),
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: ALL_VERBS,
    statusSubresource: false,
    keepStatusOnCreate: false,
    nameRule: 'subdomain',
    returnDeletedObject: false,
    allowCreateOnUpdate: false,
    fieldLabels: {},
    ...spec,
  };
}

/** The built-in resources, with the short names, categories and field labels a v1.32 server has. */
export function builtinResources(): ResourceInfo[] {
  return [
    resource({
      kind: 'Namespace',
      plural: 'namespaces',
      namespaced: false,
      shortNames: ['ns'],
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      statusSubresource: true,
      nameRule: 'label',
      returnDeletedObject: true,
      fieldLabels: { 'status.phase': text('status.phase') },
    }),
    resource({
      kind: 'Pod',
      plural: 'pods',
      shortNames: ['po'],
      categories: ['all'],
      statusSubresource: true,
      returnDeletedObject: true,
      fieldLabels: {
        'spec.nodeName': text('spec.nodeName'),
        'spec.restartPolicy': text('spec.restartPolicy'),
        'spec.schedulerName': text('spec.schedulerName'),
        'spec.serviceAccountName': text('spec.serviceAccountName'),
        'spec.hostNetwork': text('spec.hostNetwork', 'false'),
        'status.phase': text('status.phase'),
        'status.podIP': text('status.podIP'),
        'status.nominatedNodeName': text('status.nominatedNodeName'),
      },
    }),
    resource({ kind: 'ServiceAccount', plural: 'serviceaccounts', shortNames: ['sa'] }),
    resource({
      kind: 'Node',
      plural: 'nodes',
      namespaced: false,
      shortNames: ['no'],
      statusSubresource: true,
      keepStatusOnCreate: true,
      fieldLabels: { 'spec.unschedulable': text('spec.unschedulable', 'false') },
    }),
    resource({
      kind: 'Event',
      plural: 'events',
      shortNames: ['ev'],
      nameRule: 'segment',
      allowCreateOnUpdate: true,
      fieldLabels: EVENT_FIELDS,
    }),
    resource({
      kind: 'Service',
      plural: 'services',
      shortNames: ['svc'],
      categories: ['all'],
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      statusSubresource: true,
      nameRule: 'dns1035',
      returnDeletedObject: true,
      fieldLabels: { 'spec.clusterIP': text('spec.clusterIP'), 'spec.type': text('spec.type') },
    }),
    resource({ kind: 'Endpoints', plural: 'endpoints', singular: 'endpoints', shortNames: ['ep'], allowCreateOnUpdate: true }),
    resource({ kind: 'ConfigMap', plural: 'configmaps', shortNames: ['cm'] }),
    resource({ kind: 'Secret', plural: 'secrets', fieldLabels: { type: text('type') } }),
    resource({ group: 'discovery.k8s.io', kind: 'EndpointSlice', plural: 'endpointslices' }),
    resource({
      group: 'events.k8s.io',
      kind: 'Event',
      plural: 'events',
      shortNames: ['ev'],
      nameRule: 'segment',
      allowCreateOnUpdate: true,
      fieldLabels: EVENT_FIELDS,
    }),
  ];
}

export function groupVersion(info: ResourceInfo): string {
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}

/** "pods" or "endpointslices.discovery.k8s.io", as Status messages name resources. */
export function qualifiedResource(info: ResourceInfo): string {
  return info.group === '' ? info.plural : `${info.plural}.${info.group}`;
}

export function createResourceTable(resources: readonly ResourceInfo[] = builtinResources()): ResourceTable {
  const byPath = new Map<string, ResourceInfo>();
  const byKind = new Map<string, ResourceInfo>();
  for (const info of resources) {
    byPath.set(`${info.group}/${info.version}/${info.plural}`, info);
    byKind.set(`${groupVersion(info)}/${info.kind}`, info);
  }
  return {
    all: resources,
    find: (group, version, plural) => byPath.get(`${group}/${version}/${plural}`),
    forKind: (apiVersion, kind) => byKind.get(`${apiVersion}/${kind}`),
  };
}
