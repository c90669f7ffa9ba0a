import type { KubeObject } from '@iam4kube/shared';
import type { StringInterner } from './string-interner.js';

/** The little of a Pod the server keeps: enough to identify a caller, about 300 bytes of heap instead of ~10 KB. */
export interface PodRecord {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  /** Every IP of the pod (two when dual-stack). */
  readonly podIPs: readonly string[];
  readonly serviceAccountName: string;
  readonly nodeName: string;
  readonly phase: string;
  readonly hostNetwork: boolean;
  /** deletionTimestamp is set: the pod is in its grace period. */
  readonly terminating: boolean;
  readonly resourceVersion: string;
  /** The --pod-role-annotation value (compatibility mode only; undefined when off or absent). */
  readonly roleAnnotation?: string | undefined;
}

/** Pods in a terminal phase never get credentials: the API server leaves them out of lists and watches. */
export const POD_FIELD_SELECTOR = 'status.phase!=Succeeded,status.phase!=Failed';

const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;
const PHASE_MASK = 0b111;
const HOST_NETWORK = 0b1000;
const TERMINATING = 0b10000;
/** Revisions up to 2^53 are kept as numbers (no string on the heap); anything else as the string it came as. */
const NUMERIC_VERSION = /^[1-9]\d{0,14}$/;

/**
 * The record as stored. A class, not an object literal, for memory: the getters live once on the prototype, the
 * phase and both flags share one small integer, a single-stack pod holds its IP as a string rather than an array,
 * and the resourceVersion is a number. Namespace, ServiceAccount and node names are interned by the caller.
 */
class CompactPodRecord implements PodRecord {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly serviceAccountName: string;
  readonly nodeName: string;
  readonly #ips: string | readonly string[];
  readonly #bits: number;
  readonly #version: number | string;

  constructor(fields: {
    uid: string;
    namespace: string;
    name: string;
    serviceAccountName: string;
    nodeName: string;
    ips: string | readonly string[];
    bits: number;
    version: number | string;
  }) {
    this.uid = fields.uid;
    this.namespace = fields.namespace;
    this.name = fields.name;
    this.serviceAccountName = fields.serviceAccountName;
    this.nodeName = fields.nodeName;
    this.#ips = fields.ips;
    this.#bits = fields.bits;
    this.#version = fields.version;
  }

  get podIPs(): readonly string[] {
    return typeof this.#ips === 'string' ? [this.#ips] : this.#ips;
  }
  get phase(): string {
    return PHASES[this.#bits & PHASE_MASK]!;
  }
  get hostNetwork(): boolean {
    return (this.#bits & HOST_NETWORK) !== 0;
  }
  get terminating(): boolean {
    return (this.#bits & TERMINATING) !== 0;
  }
  get resourceVersion(): string {
    return String(this.#version);
  }
  get roleAnnotation(): string | undefined {
    return undefined;
  }
}

/**
 * A pod with a --pod-role-annotation (compatibility mode): one more (interned) field, on these records only, so that
 * pods without the annotation, and every pod while the mode is off, cost nothing more.
 */
class AnnotatedPodRecord extends CompactPodRecord {
  readonly #role: string;

  constructor(fields: ConstructorParameters<typeof CompactPodRecord>[0], role: string) {
    super(fields);
    this.#role = role;
  }

  override get roleAnnotation(): string {
    return this.#role;
  }
}

interface PodShape {
  spec?: { serviceAccountName?: string; nodeName?: string; hostNetwork?: boolean };
  status?: { phase?: string; podIP?: string; podIPs?: Array<{ ip?: string }> };
}

/**
 * Projects a Pod (as listed or watched) to its record; repeated names go through `strings` when given. With
 * `roleAnnotation` (the --pod-role-annotation key) the annotation's value is kept, interned.
 */
export function projectPod(obj: KubeObject, strings?: StringInterner, roleAnnotation?: string): PodRecord {
  const pod = obj as KubeObject & PodShape;
  const ips: string[] = [];
  for (const entry of pod.status?.podIPs ?? []) if (entry.ip && !ips.includes(entry.ip)) ips.push(entry.ip);
  if (pod.status?.podIP && !ips.includes(pod.status.podIP)) ips.push(pod.status.podIP);
  const phase = PHASES.indexOf((pod.status?.phase ?? 'Pending') as (typeof PHASES)[number]);
  const bits =
    (phase < 0 ? PHASES.indexOf('Unknown') : phase) |
    (pod.spec?.hostNetwork === true ? HOST_NETWORK : 0) |
    (obj.metadata?.deletionTimestamp ? TERMINATING : 0);
  const rv = obj.metadata?.resourceVersion ?? '';
  const intern = (s: string): string => (strings ? strings.intern(s) : s);
  const fields = {
    uid: obj.metadata?.uid ?? '',
    namespace: intern(obj.metadata?.namespace ?? ''),
    name: obj.metadata?.name ?? '',
    serviceAccountName: intern(pod.spec?.serviceAccountName || 'default'),
    nodeName: intern(pod.spec?.nodeName ?? ''),
    ips: ips.length === 1 ? ips[0]! : Object.freeze(ips),
    bits,
    version: NUMERIC_VERSION.test(rv) ? Number(rv) : rv,
  };
  const role = roleAnnotation === undefined ? undefined : obj.metadata?.annotations?.[roleAnnotation];
  // Frozen here rather than in the constructor, so that the subclass can set its field first.
  return Object.freeze(role === undefined ? new CompactPodRecord(fields) : new AnnotatedPodRecord(fields, intern(role)));
}

/** Gives back the interned names of a record that leaves the index. */
export function releasePod(record: PodRecord, strings: StringInterner): void {
  strings.release(record.namespace);
  strings.release(record.serviceAccountName);
  strings.release(record.nodeName);
  if (record.roleAnnotation !== undefined) strings.release(record.roleAnnotation);
}

export function isTerminalPhase(phase: string): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}
