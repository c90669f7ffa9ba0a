import { writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import type { DeleteRequest } from './deletion.js';
import { Deleter } from './deletion.js';
import { ApiError } from './errors.js';
import { Faults } from './faults.js';
import type { KubeconfigOptions } from './kubeconfig.js';
import { renderKubeconfig } from './kubeconfig.js';
import { parseManifests } from './manifests.js';
import type { KubeObject } from './object.js';
import { clone } from './object.js';
import type { PatchType } from './patching.js';
import { patchObject } from './patching.js';
import { Registry } from './registry.js';
import { resolveResource } from './resource-names.js';
import type { ResourceTable } from './resources.js';
import { createResourceTable } from './resources.js';
import type { RecordedRequest } from './router.js';
import { createRequestHandler } from './router.js';
import type { StoreListener } from './store.js';
import { ObjectStore } from './store.js';
import { WatchHub } from './watch-handler.js';

export interface KubeApiEmulatorOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  /** Events kept for watches that resume from a resourceVersion (default 10000); older ones get 410. */
  readonly historyWindow?: number;
  /** Interval of BOOKMARK events on watches that allow them (default 1000 ms; 0 = only on sendBookmarks()). */
  readonly bookmarkIntervalMs?: number;
  /** Time source for timestamps, grace periods, bookmarks, watch timeouts and injected latency. */
  readonly clock?: Clock;
  /** Require this bearer token (401 otherwise). By default any token, or none, is accepted. */
  readonly token?: string;
  /** Namespaces that exist from the start (default: default, kube-system, kube-public, kube-node-lease). */
  readonly namespaces?: readonly string[];
  /** Create a `default` ServiceAccount in each namespace, like the serviceaccount controller (default true). */
  readonly defaultServiceAccounts?: boolean;
  /** Reject pods whose ServiceAccount does not exist, like the admission plugin (default true). */
  readonly serviceAccountAdmission?: boolean;
  /** Range Service cluster IPs are allocated from (default 10.96.0.0/12). */
  readonly serviceCidr?: string;
}

export interface PatchOptions {
  /** Default "merge". */
  readonly type?: PatchType;
  readonly subresource?: 'status';
}

function unwrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    // Direct calls get an Error whose message is the Status message, and the Status itself.
    if (err instanceof ApiError) throw Object.assign(new Error(err.message), { status: err.status });
    throw err;
  }
}

/**
 * A Kubernetes API server emulator on 127.0.0.1 for tests and the demo: real kubectl and @kubernetes/client-node
 * work against it through a kubeconfig. Direct store access below goes through the same rules and events as HTTP.
 */
export class KubeApiEmulator {
  readonly faults: Faults;
  readonly resources: ResourceTable;
  readonly #server: Server;
  readonly #store: ObjectStore;
  readonly #registry: Registry;
  readonly #deleter: Deleter;
  readonly #watches: WatchHub;
  readonly #requests: RecordedRequest[] = [];
  #requestWaiters: { matches: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }[] = [];
  readonly #token: string | undefined;

  constructor(options: KubeApiEmulatorOptions = {}) {
    const clock = options.clock ?? systemClock;
    this.resources = createResourceTable();
    this.#token = options.token;
    this.#store = new ObjectStore({ historyWindow: options.historyWindow ?? 10000 });
    this.#registry = new Registry({
      store: this.#store,
      clock,
      resources: this.resources,
      defaultServiceAccounts: options.defaultServiceAccounts ?? true,
      serviceAccountAdmission: options.serviceAccountAdmission ?? true,
      ...(options.serviceCidr ? { serviceCidr: options.serviceCidr } : {}),
    });
    this.#deleter = new Deleter(this.#registry, clock);
    this.#watches = new WatchHub(options.bookmarkIntervalMs ?? 1000);
    this.faults = new Faults({
      dropWatches: (opts) => this.#watches.dropAll(opts?.clean ?? false),
      compact: () => this.#store.compact(),
    });
    for (const name of options.namespaces ?? ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      this.#registry.create(this.#registry.namespaces, { metadata: { name } });
    }
    this.#server = createServer(
      createRequestHandler({
        registry: this.#registry,
        deleter: this.#deleter,
        clock,
        watches: this.#watches,
        faults: this.faults,
        onRequest: (request) => this.#recordRequest(request),
        token: options.token,
        serverAddress: () => this.url.replace('http://', ''),
      }),
    );
  }

  /** Starts listening; startKubeApiEmulator() does this for you. */
  async listen(port = 0): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
  }

  get url(): string {
    const address = this.#server.address() as AddressInfo | null;
    if (!address) throw new Error('the emulator is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  kubeconfig(options: KubeconfigOptions = {}): string {
    return renderKubeconfig(this.url, { ...options, token: options.token ?? this.#token ?? 'emulator-token' });
  }

  async writeKubeconfig(path: string, options: KubeconfigOptions = {}): Promise<void> {
    await writeFile(path, this.kubeconfig(options), { mode: 0o600 });
  }

  /** The current global revision (what a list would carry as metadata.resourceVersion). */
  get resourceVersion(): string {
    return String(this.#store.resourceVersion);
  }

  /** Requests received so far, oldest first. */
  get requests(): readonly RecordedRequest[] {
    return [...this.#requests];
  }

  clearRequests(): void {
    this.#requests.length = 0;
  }

  /** Resolves with the next request (arriving after this call) that matches, e.g. to know a client got this far. */
  waitForRequest(matches: (request: RecordedRequest) => boolean): Promise<RecordedRequest> {
    return new Promise((resolve) => this.#requestWaiters.push({ matches, resolve }));
  }

  /** Resolves once at least `count` watch streams are open (e.g. an informer has started watching). */
  waitForWatches(count = 1): Promise<void> {
    return this.#watches.waitFor(count);
  }

  get openWatches(): number {
    return this.#watches.size;
  }

  /** Emits a BOOKMARK now on every open watch that allows bookmarks. */
  sendBookmarks(): void {
    this.#watches.bookmarkAll();
  }

  /** Calls `listener` synchronously for every change (ADDED/MODIFIED/DELETED); returns the unsubscribe function. */
  onChange(listener: StoreListener): () => void {
    return this.#store.subscribe(listener);
  }

  create<T extends KubeObject = KubeObject>(obj: KubeObject): T {
    const info = this.#infoOf(obj);
    const namespace = info.namespaced ? (obj.metadata.namespace ?? 'default') : undefined;
    return clone(unwrap(() => this.#registry.create(info, obj, namespace))) as T;
  }

  get<T extends KubeObject = KubeObject>(resource: string, namespace: string, name: string): T | undefined {
    const obj = this.#store.get(resolveResource(this.resources, resource), namespace, name);
    return obj && (clone(obj) as T);
  }

  list<T extends KubeObject = KubeObject>(resource: string, namespace?: string): T[] {
    return this.#store.list(resolveResource(this.resources, resource), namespace).map((o) => clone(o) as T);
  }

  /** PUT semantics: 409-style error on a stale metadata.resourceVersion; status ignored where it is a subresource. */
  update<T extends KubeObject = KubeObject>(obj: KubeObject): T {
    const info = this.#infoOf(obj);
    const target = { namespace: info.namespaced ? (obj.metadata.namespace ?? 'default') : '', name: obj.metadata.name ?? '' };
    return clone(unwrap(() => this.#registry.update(info, obj, target))) as T;
  }

  patch<T extends KubeObject = KubeObject>(resource: string, namespace: string, name: string, patch: unknown, options: PatchOptions = {}): T {
    const info = resolveResource(this.resources, resource);
    const target = { namespace, name, subresource: options.subresource };
    return clone(unwrap(() => patchObject(this.#registry, info, target, options.type ?? 'merge', JSON.stringify(patch)).object)) as T;
  }

  /** Merges `status` into the object's status through the status subresource (how tests play the kubelet). */
  patchStatus<T extends KubeObject = KubeObject>(resource: string, namespace: string, name: string, status: Record<string, unknown>): T {
    return this.patch<T>(resource, namespace, name, { status }, { type: 'merge', subresource: 'status' });
  }

  /** DELETE semantics, including graceful pod deletion. Returns the object as the API would show it. */
  delete<T extends KubeObject = KubeObject>(resource: string, namespace: string, name: string, options: DeleteRequest = {}): T {
    const info = resolveResource(this.resources, resource);
    return clone(unwrap(() => this.#deleter.delete(info, namespace, name, options).object)) as T;
  }

  /** Plays the kubelet for a terminating pod: removes it now (DELETED event). False when there is no such pod. */
  finalizePod(namespace: string, name: string): boolean {
    return this.#deleter.finalizePod(namespace, name);
  }

  /** Creates (or replaces) every object of a multi-document YAML text, namespaces first. */
  applyManifests(yamlText: string): KubeObject[] {
    return parseManifests(yamlText).map((obj) => {
      const info = this.#infoOf(obj);
      const namespace = info.namespaced ? (obj.metadata.namespace ?? 'default') : '';
      const existing = this.#store.get(info, namespace, obj.metadata.name ?? '');
      if (!existing) return this.create(obj);
      const { resourceVersion: _rv, ...metadata } = obj.metadata;
      return this.update({ ...obj, metadata: { ...metadata, namespace: info.namespaced ? namespace : undefined } });
    });
  }

  /** Ends every watch cleanly and closes the server and all its connections. */
  async close(): Promise<void> {
    this.#watches.dropAll(true);
    this.#deleter.close();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    if (this.#server.listening) await closed;
  }

  #recordRequest(request: RecordedRequest): void {
    this.#requests.push(request);
    const due = this.#requestWaiters.filter((w) => w.matches(request));
    this.#requestWaiters = this.#requestWaiters.filter((w) => !due.includes(w));
    for (const waiter of due) waiter.resolve(request);
  }

  #infoOf(obj: KubeObject) {
    const info = this.resources.forKind(obj.apiVersion ?? '', obj.kind ?? '');
    if (!info) throw new Error(`the emulator does not serve ${obj.apiVersion ?? '?'} ${obj.kind ?? '?'}`);
    return info;
  }
}

/** Starts an emulator listening on 127.0.0.1. */
export async function startKubeApiEmulator(options: KubeApiEmulatorOptions = {}): Promise<KubeApiEmulator> {
  const emulator = new KubeApiEmulator(options);
  await emulator.listen(options.port ?? 0);
  return emulator;
}
