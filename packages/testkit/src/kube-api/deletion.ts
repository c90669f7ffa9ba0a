import type { Clock, Timer } from './clock.js';
import { formatTime } from './clock.js';
import { conflict, notFound } from './errors.js';
import type { KubeObject } from './object.js';
import { clone } from './object.js';
import type { Registry } from './registry.js';
import type { ResourceInfo } from './resources.js';
import { podGracePeriod } from './strategies.js';

export interface DeleteRequest {
  readonly gracePeriodSeconds?: number | undefined;
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string } | undefined;
}

export interface DeleteResult {
  /** The object as the response shows it: the removed state, or the terminating one. */
  readonly object: KubeObject;
  /** False when the object is still there (graceful pod deletion, finalizers). */
  readonly removed: boolean;
}

function isPod(info: ResourceInfo): boolean {
  return info.group === '' && info.plural === 'pods';
}

/**
 * DELETE with the real server's rules: preconditions, finalizers, graceful pod deletion (the pod is marked and
 * removed when its grace period ends on the clock, or when the test plays the kubelet with finalizePod), and
 * namespace deletion removing everything inside. Owns the grace-period timers.
 */
export class Deleter {
  readonly #registry: Registry;
  readonly #clock: Clock;
  readonly #timers = new Map<string, Timer>();

  constructor(registry: Registry, clock: Clock) {
    this.#registry = registry;
    this.#clock = clock;
  }

  delete(info: ResourceInfo, namespace: string, name: string, request: DeleteRequest = {}): DeleteResult {
    const store = this.#registry.store;
    const existing = store.get(info, namespace, name);
    if (!existing) throw notFound(info, name);
    const pre = request.preconditions;
    if (pre?.uid && pre.uid !== existing.metadata.uid) {
      throw conflict(info, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(
        info,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion}`,
      );
    }
    const grace = isPod(info) ? podGracePeriod(existing, request.gracePeriodSeconds) : 0;
    if (grace > 0) return this.#graceful(info, existing, grace);
    if ((existing.metadata.finalizers ?? []).length > 0) return this.#markDeleted(info, existing, 0);
    if (info === this.#registry.namespaces) return this.#deleteNamespace(existing);
    return { object: this.#remove(info, existing), removed: true };
  }

  /** Plays the kubelet: removes a (terminating) pod now. False when there is no such pod. */
  finalizePod(namespace: string, name: string): boolean {
    const pods = this.#registry.resources.find('', 'v1', 'pods')!;
    const pod = this.#registry.store.get(pods, namespace, name);
    if (!pod) return false;
    if ((pod.metadata.finalizers ?? []).length > 0) {
      this.#markDeleted(pods, pod, 0);
      return true;
    }
    this.#remove(pods, pod);
    return true;
  }

  close(): void {
    for (const timer of this.#timers.values()) timer.cancel();
    this.#timers.clear();
  }

  #graceful(info: ResourceInfo, pod: KubeObject, grace: number): DeleteResult {
    const current = pod.metadata.deletionGracePeriodSeconds;
    // A second delete may only shorten the grace period.
    if (current !== undefined && current <= grace) return { object: pod, removed: false };
    return this.#markDeleted(info, pod, grace);
  }

  #markDeleted(info: ResourceInfo, obj: KubeObject, grace: number): DeleteResult {
    const marked = clone(obj);
    if (grace > 0 || !marked.metadata.deletionTimestamp) {
      marked.metadata.deletionTimestamp = formatTime(this.#clock.now() + grace * 1000);
    }
    marked.metadata.deletionGracePeriodSeconds = grace;
    const stored = this.#registry.store.write(info, 'MODIFIED', marked);
    if (isPod(info) && grace > 0) {
      const key = this.#key(stored);
      this.#timers.get(key)?.cancel();
      this.#timers.set(
        key,
        this.#clock.setTimeout(() => {
          this.#timers.delete(key);
          this.finalizePod(stored.metadata.namespace ?? '', stored.metadata.name ?? '');
        }, grace * 1000),
      );
    }
    return { object: stored, removed: false };
  }

  #deleteNamespace(ns: KubeObject): DeleteResult {
    const name = ns.metadata.name ?? '';
    const terminating = clone(ns);
    terminating.metadata.deletionTimestamp = formatTime(this.#clock.now());
    terminating.metadata.deletionGracePeriodSeconds = 0;
    terminating['status'] = { ...(terminating['status'] as object), phase: 'Terminating' };
    const shown = this.#registry.store.write(this.#registry.namespaces, 'MODIFIED', terminating);
    // The namespace controller's work, done at once: everything inside goes, finalizers and grace notwithstanding.
    for (const info of this.#registry.resources.all) {
      if (!info.namespaced) continue;
      for (const obj of this.#registry.store.list(info, name)) this.#remove(info, obj);
    }
    this.#remove(this.#registry.namespaces, shown);
    return { object: shown, removed: false };
  }

  #remove(info: ResourceInfo, obj: KubeObject): KubeObject {
    if (isPod(info)) {
      const key = this.#key(obj);
      this.#timers.get(key)?.cancel();
      this.#timers.delete(key);
    }
    return this.#registry.store.remove(info, obj);
  }

  #key(obj: KubeObject): string {
    return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
  }
}
