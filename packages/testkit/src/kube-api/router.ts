import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from './clock.js';
import type { Deleter } from './deletion.js';
import {
  aggregatedContentType,
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  SERVER_VERSION,
} from './discovery.js';
import { ApiError, methodNotAllowed, pathNotFound, unauthorized } from './errors.js';
import type { Faults } from './faults.js';
import { sendError, sendJson } from './http-io.js';
import { negotiate } from './media.js';
import type { JsonObject } from './object.js';
import { openApi } from './openapi.js';
import type { Registry } from './registry.js';
import { handleResource } from './resource-handlers.js';
import type { Route } from './routes.js';
import { parseRoute } from './routes.js';
import type { WatchHub } from './watch-handler.js';

/** One line of the request log tests can inspect. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly accept: string | undefined;
  readonly contentType: string | undefined;
}

export interface RouterDeps {
  readonly registry: Registry;
  readonly deleter: Deleter;
  readonly clock: Clock;
  readonly watches: WatchHub;
  readonly faults: Faults;
  /** Called with every request as it arrives (the emulator's log and waiters). */
  readonly onRequest: (request: RecordedRequest) => void;
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  readonly token?: string | undefined;
  readonly serverAddress: () => string;
}

function delay(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

function discovery(deps: RouterDeps, route: Route, accept: string | undefined): [JsonObject, string] | undefined {
  const table = deps.registry.resources;
  switch (route.kind) {
    case 'version':
      return [{ ...SERVER_VERSION }, 'application/json'];
    case 'api':
    case 'apis': {
      const rep = negotiate(accept, 'discovery');
      if (rep.as === 'APIGroupDiscoveryList') {
        return [aggregatedDiscovery(table, route.kind === 'api', rep.version), aggregatedContentType(rep.version)];
      }
      return [route.kind === 'api' ? apiVersions(deps.serverAddress()) : apiGroupList(table), 'application/json'];
    }
    case 'group': {
      const doc = apiGroup(table, route.group);
      return doc && [doc, 'application/json'];
    }
    case 'resourceList': {
      const doc = apiResourceList(table, route.group, route.version);
      return doc && [doc, 'application/json'];
    }
    case 'openapi': {
      const doc = openApi(table, route.path);
      return doc && [doc, 'application/json'];
    }
    default:
      return undefined;
  }
}

async function route(deps: RouterDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const parsed = parseRoute(deps.registry.resources, url.pathname);
  if (!parsed) throw pathNotFound();
  if (parsed.kind === 'resource') {
    await handleResource({ ctx: deps, route: parsed, req, res, query: url.searchParams });
    return;
  }
  if (req.method !== 'GET') throw methodNotAllowed();
  if (parsed.kind === 'health') {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('ok');
    return;
  }
  const doc = discovery(deps, parsed, req.headers.accept);
  if (!doc) throw pathNotFound();
  sendJson(res, 200, doc[0], doc[1]);
}

/** The HTTP request handler: logs, authenticates, injects faults, routes, and maps every error to a Status. */
export function createRequestHandler(deps: RouterDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    deps.onRequest({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      accept: req.headers.accept,
      contentType: req.headers['content-type'],
    });
    try {
      if (deps.token !== undefined && req.headers.authorization !== `Bearer ${deps.token}`) throw unauthorized();
      const failure = deps.faults.takeFailure(method, url.pathname);
      if (deps.faults.latencyMs > 0) await delay(deps.clock, deps.faults.latencyMs);
      if (failure) throw failure;
      await route(deps, req, res, url);
    } catch (err) {
      if (err instanceof ApiError) {
        sendError(res, err);
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      sendError(res, new ApiError(500, 'InternalError', `an error on the server ("${message}") has prevented the request from succeeding`));
    }
  };
  return (req, res) => {
    handle(req, res).catch(() => res.destroy());
  };
}
