import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock, Logger } from '@iam4kube/shared';
import type { Credentials } from '../credentials/credentials.js';
import type { RoleResolution } from '../identity/resolver.js';
import type { PodRecord } from '../kube/pod-record.js';
import type { TokenSigner } from './imds-token.js';
import { AnswerMemo, memoizable, stillHolds, type MemoizedAnswer } from './answer-memo.js';
import { callerIp } from './caller.js';
import type { MetadataMetrics } from './metadata-metrics.js';
import { routeOfPath, type Route, type RouteName } from './paths.js';
import { resolutionEvents, type PodEvent, type PodEventRecorder } from './pod-events.js';
import type { RenderedAnswer, RenderedAnswers } from './rendered-answers.js';
import { judgeRequest, type GuardHeaders, type ImdsV1Policy } from './request-guard.js';

/** What the fast path needs from the engines: answers already in memory, or nothing (then the request waits). */
export interface InstantAnswers {
  /** The caller's role, when the caches name it now with nothing to wait for or confirm. */
  role(ip: string): RoleResolution | undefined;
  /**
   * The credentials the store hands out at once (reporting a low life as it does) at `now`, the time read for the
   * request; undefined when one must wait.
   */
  credentials(binding: RoleResolution['binding'], now: number): Credentials | undefined;
  /**
   * A number that moves whenever role() may answer differently for any caller (a watch cache took in a change:
   * kube/cache-revision.ts). The fast path memoizes its answers on it; credentials() is asked on every request.
   */
  revision(): number;
}

export interface FastPathOptions {
  readonly instant: InstantAnswers;
  readonly tokens: TokenSigner;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: MetadataMetrics;
  readonly imdsV1: ImdsV1Policy;
  readonly events?: PodEventRecorder | undefined;
  readonly rendered: RenderedAnswers;
  /** The per-caller memo of answers (answer-memo.ts); tests pass `false` to decide every request afresh. */
  readonly memo?: AnswerMemo | false;
}

/** Answers a request synchronously and returns true, or touches nothing and returns false (the Koa app answers). */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

/** The routes the fast path serves: what SDKs ask for over and over. Every other route is the Koa app's. */
const FAST_ROUTES: ReadonlySet<RouteName> = new Set(['credentials', 'credentials-extended', 'credentials-list', 'credentials-extended-list']);
/** Raw paths remembered with their route; past this the memo starts over (paths are few, this bounds a flood). */
const MAX_PATHS = 1024;

/**
 * The synchronous answer to a credentials request whose answer is already in memory, in front of the Koa app: the
 * same route match, the same guard rules (judgeRequest), the same resolution (one step of resolveCaller) and the
 * same credentials the store would hand out, written from a document rendered once, with the same metrics, events
 * and debug line as the Koa app. It takes only requests the Koa app would answer 200 at once; anything else
 * (refused, waiting, a pod cache to confirm, a foreign token to report, every other route) is
 * left untouched to the Koa app, so the answers are the same either way (fast-path.test.ts compares them). Per
 * request it allocates little: no promise, no AbortController, no timer, no HMAC for a token seen before. A request
 * identical to one it answered since the caches last changed is answered again from its per-caller memo
 * (answer-memo.ts), after checking only the token's expiry and the credentials the store hands out now.
 */
export function createFastPath(o: FastPathOptions): FastPath {
  const routes = new Map<string, Route>();
  // The last path asked for, checked first: a client asks for the same path over and over, and comparing two strings
  // costs less than hashing a new one.
  let lastUrl = '';
  let lastRoute: Route | undefined;
  const routeOf = (url: string): Route | undefined => {
    if (url === lastUrl) return lastRoute;
    let route = routes.get(url);
    if (route === undefined) {
      route = routeOfPath(url);
      if (route === undefined || !FAST_ROUTES.has(route.name)) return undefined;
      if (routes.size >= MAX_PATHS) routes.clear();
      routes.set(url, route);
    }
    lastUrl = url;
    lastRoute = route;
    return route;
  };
  /** The RoleFound event of a pod and binding, built once (the recorder counts every report). */
  const roleFound = new WeakMap<PodRecord, { readonly binding: RoleResolution['binding']; readonly events: readonly PodEvent[] }>();
  const eventsOf = (found: RoleResolution): readonly PodEvent[] => {
    let known = roleFound.get(found.pod);
    if (known?.binding !== found.binding) {
      known = { binding: found.binding, events: resolutionEvents(found, true) };
      roleFound.set(found.pod, known);
    }
    return known.events;
  };

  const memo = o.memo === false ? undefined : (o.memo ?? new AnswerMemo());
  const NO_EVENTS: readonly PodEvent[] = [];

  /** The effects of a 200 answer, the Koa app's in its order. */
  const answer = (res: ServerResponse, method: string, a: MemoizedAnswer, started: number): void => {
    // The in-flight gauge is left alone: it would go up and down within this synchronous call, where no scrape can see it.
    if (a.token !== '') o.metrics.token('valid');
    if (o.events) for (const event of a.events) o.events.record(event, started);
    res.writeHead(200, a.answer.headers as string[]);
    if (method === 'HEAD') res.end();
    else if (typeof a.answer.body === 'string') res.end(a.answer.body, 'latin1'); // ASCII: one chunk with the head
    else res.end(a.answer.body);
    const seconds = (o.clock.now() - started) / 1000;
    o.metrics.observe(a.route.name, 200, seconds);
    if (o.logger.isLevelEnabled('debug')) {
      const path = a.url.length > 200 ? `${a.url.slice(0, 200)}...` : a.url;
      const pod = `${a.found.pod.namespace}/${a.found.pod.name}`;
      o.logger.debug({ method, path, ip: a.ip, route: a.route.name, pod, roleArn: a.found.binding.roleArn, status: 200, ms: seconds * 1000 }, 'request');
    }
  };

  return (req, res) => {
    const method = req.method;
    const url = req.url;
    if ((method !== 'GET' && method !== 'HEAD') || url === undefined) return false;
    const remote = req.socket.remoteAddress ?? '';
    const revision = o.instant.revision();
    // The same request as one answered since the caches last changed: only the token, the time and the credentials
    // the store hands out now are left to check. Otherwise (or when one of those changed) it is decided afresh.
    const known = memo?.find(remote, method, url, revision);
    const route = known?.route ?? routeOf(url);
    if (!route) return false;
    const started = o.clock.now();
    const headers = guardHeaders(req.rawHeaders);
    if (!headers) return false;
    if (known !== undefined && stillHolds(known, headers, started) && (known.credentials === undefined || o.instant.credentials(known.found.binding, started) === known.credentials)) {
      answer(res, method, known, started);
      return true;
    }
    const ip = known?.ip ?? callerIp(remote);
    const verdict = judgeRequest(o, { route, method, ip, headers, now: started });
    // A foreign token is reported (once per key) by the Koa guard: leave it there.
    if (verdict.error || verdict.token === 'foreign') return false;
    const found = o.instant.role(ip);
    if (!found) return false;
    const memoize = memo !== undefined && memoizable(headers);
    // Read only for an answer to memoize: the token was just found valid, so this costs no HMAC.
    const validUntil = !memoize || headers.token === '' ? Infinity : (o.tokens.validUntil(headers.token, ip, started) ?? -Infinity);
    const listing = route.name === 'credentials-list' || route.name === 'credentials-extended-list';
    let credentials: Credentials | undefined;
    let rendered: RenderedAnswer;
    if (listing) rendered = o.rendered.text(found.binding.roleName);
    else {
      if (found.binding.roleName !== route.role) return false;
      credentials = o.instant.credentials(found.binding, started);
      if (!credentials) return false;
      rendered = o.rendered.credentials(credentials, route.name === 'credentials-extended' ? found.binding.roleArn : undefined);
    }
    // One object literal of one shape (an object spread here cost about 20 µs a request: V8's slow path).
    const decided: MemoizedAnswer = {
      method, url, token: headers.token, validUntil, route, ip, found, credentials, answer: rendered, events: listing ? NO_EVENTS : eventsOf(found),
    };
    // Committed: from here on the same effects as the Koa app's.
    if (memoize) memo.remember(remote, revision, decided);
    answer(res, method, decided, started);
    return true;
  };
}

/**
 * The headers the guard rules read, straight from `rawHeaders`: building `req.headers` (every header, lower-cased,
 * duplicates merged) is a measurable share of a request answered from memory, and only these four matter here. When
 * one of them is repeated the request is left to the Koa app, which sees Node's own merging of duplicates: for a
 * single occurrence the value is the same string Node would put in `req.headers` (guardHeadersOf reads the same).
 */
export function guardHeaders(raw: readonly string[]): GuardHeaders | undefined {
  let contentLength: string | undefined;
  let transferEncoding: string | undefined;
  let forwardedFor: string | undefined;
  let token: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // The four names' lengths differ: one comparison rules out nearly every other header.
    switch (name.length) {
      case 14:
        if (name.toLowerCase() !== 'content-length') continue;
        if (contentLength !== undefined) return undefined;
        contentLength = raw[i + 1]!;
        break;
      case 17:
        if (name.toLowerCase() !== 'transfer-encoding') continue;
        if (transferEncoding !== undefined) return undefined;
        transferEncoding = raw[i + 1]!;
        break;
      case 15:
        if (name.toLowerCase() !== 'x-forwarded-for') continue;
        if (forwardedFor !== undefined) return undefined;
        forwardedFor = raw[i + 1]!;
        break;
      case 24:
        if (name.toLowerCase() !== 'x-aws-ec2-metadata-token') continue;
        if (token !== undefined) return undefined;
        token = raw[i + 1]!;
        break;
    }
  }
  return { contentLength: contentLength ?? '', transferEncoding: transferEncoding ?? '', forwardedFor: forwardedFor ?? '', token: token ?? '' };
}
