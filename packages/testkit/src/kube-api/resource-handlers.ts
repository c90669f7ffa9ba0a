import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from './clock.js';
import type { Deleter, DeleteRequest } from './deletion.js';
import { badRequest, expired, methodNotAllowed, notFound, successStatus, tooLargeResourceVersion } from './errors.js';
import { decodeBody, readBody, sendJson } from './http-io.js';
import type { ListMeta } from './representation.js';
import { decodeContinue, encodeContinue, paginate, parseResourceVersion, selectorPredicate } from './list-options.js';
import { bodyType, negotiate } from './media.js';
import type { KubeObject } from './object.js';
import { isObject } from './object.js';
import { patchObject, patchTypeOf } from './patching.js';
import type { Registry, Target } from './registry.js';
import type { IncludeObject, RenderContext } from './representation.js';
import { renderList, renderObject } from './representation.js';
import type { ResourceInfo } from './resources.js';
import type { ResourceRoute } from './routes.js';
import { handleWatch } from './watch-handler.js';
import type { WatchHub } from './watch-handler.js';

export interface ResourceContext {
  readonly registry: Registry;
  readonly deleter: Deleter;
  readonly clock: Clock;
  readonly watches: WatchHub;
}

interface Call {
  readonly ctx: ResourceContext;
  readonly route: ResourceRoute;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly query: URLSearchParams;
}

function includeObject(query: URLSearchParams): IncludeObject {
  const value = query.get('includeObject') ?? 'Metadata';
  if (value !== 'None' && value !== 'Metadata' && value !== 'Object') throw badRequest(`invalid includeObject: ${value}`);
  return value;
}

export function renderContext(call: Call, endpoint: 'get' | 'list' | 'watch'): RenderContext {
  return {
    info: call.route.info,
    representation: negotiate(call.req.headers.accept, endpoint),
    now: call.ctx.clock.now(),
    includeObject: includeObject(call.query),
  };
}

function requireVerb(info: ResourceInfo, verb: string): void {
  if (!info.verbs.includes(verb)) throw methodNotAllowed();
}

function target(route: ResourceRoute): Target {
  return { namespace: route.namespace ?? '', name: route.name ?? '', subresource: route.subresource === 'status' ? 'status' : undefined };
}

function isWatch(call: Call): boolean {
  const watch = call.query.get('watch');
  return call.route.watchPrefix || watch === '1' || watch === 'true';
}

/** Dispatches a request on a resource path by method and shape (collection, object, status). */
export async function handleResource(call: Call): Promise<void> {
  const { route, req } = call;
  const method = req.method ?? 'GET';
  if (call.query.get('dryRun')) throw badRequest('dryRun is not supported by the emulator');
  if (route.subresource !== undefined && (route.subresource !== 'status' || !route.info.statusSubresource)) {
    throw notFound(route.info, `${route.name}/${route.subresource}`);
  }
  if (route.name === undefined) {
    if (method === 'GET' && isWatch(call)) return handleWatch(call, renderContext(call, 'watch'));
    if (method === 'GET') return list(call);
    if (method === 'POST' && (route.namespace !== undefined || !route.info.namespaced)) return create(call);
    if (method === 'DELETE') return deleteCollection(call);
    throw methodNotAllowed();
  }
  // Only the deprecated /watch/ prefix watches a single object; ?watch on an object path is a plain GET.
  if (method === 'GET' && route.watchPrefix && route.subresource === undefined) {
    return handleWatch(call, renderContext(call, 'watch'), route.name);
  }
  if (method === 'GET') return get(call);
  if (method === 'PUT') return update(call);
  if (method === 'PATCH') return patch(call);
  if (method === 'DELETE' && route.subresource === undefined) return remove(call);
  throw methodNotAllowed();
}

function get(call: Call): void {
  requireVerb(call.route.info, 'get');
  const t = target(call.route);
  const obj = call.ctx.registry.store.get(call.route.info, t.namespace, t.name);
  if (!obj) throw notFound(call.route.info, t.name);
  sendJson(call.res, 200, renderObject(renderContext(call, 'get'), obj));
}

function list(call: Call): void {
  const { info } = call.route;
  requireVerb(info, 'list');
  const ctx = renderContext(call, 'list');
  const { query } = call;
  const matches = selectorPredicate(info, query.get('labelSelector') ?? '', query.get('fieldSelector') ?? '');
  const store = call.ctx.registry.store;
  const rv = parseResourceVersion(query.get('resourceVersion') ?? undefined);
  const match = query.get('resourceVersionMatch') ?? '';
  const cont = query.get('continue') ?? '';
  const limit = Number(query.get('limit') ?? '0') || 0;
  let snapshot: KubeObject[] | undefined;
  let atRv = store.resourceVersion;
  let startAfter: string | undefined;
  if (cont !== '') {
    if (rv !== undefined) throw badRequest('specifying resource version is not allowed when using continue');
    const token = decodeContinue(cont);
    snapshot = store.listAt(info, token.rv, call.route.namespace);
    if (!snapshot) {
      throw expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
    }
    atRv = token.rv;
    startAfter = token.start;
  } else if (match !== '' && rv === undefined) {
    throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
  } else if (match === 'Exact') {
    if (rv === 0) throw badRequest('resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    if (rv! > store.resourceVersion) throw tooLargeResourceVersion(rv!, store.resourceVersion);
    snapshot = store.listAt(info, rv!, call.route.namespace);
    if (!snapshot) throw expired(`too old resource version: ${rv} (${store.history.floor})`);
    atRv = rv!;
  } else if (match !== '' && match !== 'NotOlderThan') {
    throw badRequest(`invalid resourceVersionMatch: ${match}`);
  } else if (rv !== undefined && rv > store.resourceVersion) {
    throw tooLargeResourceVersion(rv, store.resourceVersion);
  }
  const all = (snapshot ?? store.list(info, call.route.namespace)).filter(matches);
  const page = paginate(all, startAfter, limit);
  const meta: ListMeta =
    page.next === undefined
      ? { resourceVersion: String(atRv) }
      : { resourceVersion: String(atRv), continue: encodeContinue({ rv: atRv, start: page.next }), remainingItemCount: page.remaining! };
  sendJson(call.res, 200, renderList(ctx, page.items, meta));
}

async function create(call: Call): Promise<void> {
  requireVerb(call.route.info, 'create');
  const ctx = renderContext(call, 'get');
  const body = decodeBody(call.req.headers['content-type'], await readBody(call.req));
  const obj = call.ctx.registry.create(call.route.info, body, call.route.namespace);
  sendJson(call.res, 201, renderObject(ctx, obj));
}

async function update(call: Call): Promise<void> {
  requireVerb(call.route.info, 'update');
  const ctx = renderContext(call, 'get');
  const body = decodeBody(call.req.headers['content-type'], await readBody(call.req));
  const t = target(call.route);
  const existed = call.ctx.registry.store.get(call.route.info, t.namespace, t.name) !== undefined;
  const obj = call.ctx.registry.update(call.route.info, body, t);
  sendJson(call.res, existed ? 200 : 201, renderObject(ctx, obj));
}

async function patch(call: Call): Promise<void> {
  requireVerb(call.route.info, 'patch');
  const ctx = renderContext(call, 'get');
  const type = patchTypeOf(bodyType(call.req.headers['content-type']));
  const text = (await readBody(call.req)).toString('utf8');
  const result = patchObject(call.ctx.registry, call.route.info, target(call.route), type, text);
  sendJson(call.res, result.created ? 201 : 200, renderObject(ctx, result.object));
}

async function deleteOptions(call: Call): Promise<DeleteRequest> {
  const raw = await readBody(call.req);
  const body: unknown = raw.length > 0 ? decodeBody(call.req.headers['content-type'] ?? 'application/json', raw) : {};
  const opts = isObject(body) ? body : {};
  const fromQuery = call.query.get('gracePeriodSeconds');
  const grace = typeof opts['gracePeriodSeconds'] === 'number' ? opts['gracePeriodSeconds'] : fromQuery !== null ? Number(fromQuery) : undefined;
  if (grace !== undefined && (!Number.isInteger(grace) || grace < 0)) throw badRequest(`invalid gracePeriodSeconds: ${String(grace)}`);
  const pre = isObject(opts['preconditions']) ? opts['preconditions'] : {};
  return {
    gracePeriodSeconds: grace,
    preconditions: {
      ...(typeof pre['uid'] === 'string' ? { uid: pre['uid'] } : {}),
      ...(typeof pre['resourceVersion'] === 'string' ? { resourceVersion: pre['resourceVersion'] } : {}),
    },
  };
}

async function remove(call: Call): Promise<void> {
  const { info } = call.route;
  requireVerb(info, 'delete');
  const ctx = renderContext(call, 'get');
  const t = target(call.route);
  const result = call.ctx.deleter.delete(info, t.namespace, t.name, await deleteOptions(call));
  if (result.removed && !info.returnDeletedObject) {
    const details = { name: t.name, kind: info.plural, uid: result.object.metadata.uid ?? '', ...(info.group ? { group: info.group } : {}) };
    sendJson(call.res, 200, successStatus(details));
    return;
  }
  sendJson(call.res, 200, renderObject(ctx, result.object));
}

async function deleteCollection(call: Call): Promise<void> {
  const { info } = call.route;
  requireVerb(info, 'deletecollection');
  const ctx = renderContext(call, 'list');
  const matches = selectorPredicate(info, call.query.get('labelSelector') ?? '', call.query.get('fieldSelector') ?? '');
  const options = await deleteOptions(call);
  const store = call.ctx.registry.store;
  const deleted = store
    .list(info, call.route.namespace)
    .filter(matches)
    .map((obj) => call.ctx.deleter.delete(info, obj.metadata.namespace ?? '', obj.metadata.name ?? '', options).object);
  sendJson(call.res, 200, renderList(ctx, deleted, { resourceVersion: String(store.resourceVersion) }));
}
