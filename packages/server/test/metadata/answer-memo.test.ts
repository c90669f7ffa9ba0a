import test from 'ava';
import type { RequestListener } from 'node:http';
import { inject } from 'light-my-request';
import { ManualClock, flushMicrotasks, type KubeObject } from '@iam4kube/shared';
import { AnswerMemo, memoizable, stillHolds, type MemoizedAnswer } from '../../src/metadata/answer-memo.js';
import { createFastPath, type InstantAnswers } from '../../src/metadata/fast-path.js';
import { createRenderedAnswers } from '../../src/metadata/rendered-answers.js';
import { createTokenSigner } from '../../src/metadata/imds-token.js';
import { noMetadataMetrics } from '../../src/metadata/metadata-metrics.js';
import { routeOfPath } from '../../src/metadata/paths.js';
import type { PodEvent } from '../../src/metadata/pod-events.js';
import type { GuardHeaders } from '../../src/metadata/request-guard.js';
import type { Credentials } from '../../src/credentials/credentials.js';
import { CacheRevision } from '../../src/kube/cache-revision.js';
import { PodIndex } from '../../src/kube/pod-index.js';
import { ServiceAccountIndex } from '../../src/kube/service-account-index.js';
import { NamespaceIndex } from '../../src/kube/namespace-index.js';
import type { PodReader } from '../../src/kube/pod-reader.js';
import { ALLOWED_ROLES_ANNOTATION } from '../../src/identity/namespace-policy.js';
import { KeyedWaiters } from '../../src/identity/keyed-waiters.js';
import { PodCacheGuard } from '../../src/identity/pod-cache-guard.js';
import { roleNow } from '../../src/identity/resolver.js';
import { podObject, serviceAccountObject, silentLogger } from '../identity/support.js';
import { CREDENTIALS, ROLE } from './harness.js';

const CREDS = '/latest/meta-data/iam/security-credentials/demo-role';
const NO_HEADERS: GuardHeaders = { contentLength: '', transferEncoding: '', forwardedFor: '', token: '' };

function memoized(o: Partial<MemoizedAnswer> = {}): MemoizedAnswer {
  return {
    method: 'GET', url: CREDS, token: '', validUntil: Infinity, route: routeOfPath(CREDS)!, ip: '10.0.0.5',
    found: ROLE as MemoizedAnswer['found'], credentials: CREDENTIALS, answer: { body: 'x', headers: [] }, events: [], ...o,
  };
}

test('an answer is found for its method and URL at the revision it was taken at, and at no other', (t) => {
  const memo = new AnswerMemo();
  const a = memoized();
  memo.remember('10.0.0.5', 7, a);
  t.is(memo.find('10.0.0.5', 'GET', CREDS, 7), a);
  t.is(memo.find('10.0.0.5', 'GET', CREDS, 8), undefined, 'the caches changed since');
  t.is(memo.find('10.0.0.5', 'HEAD', CREDS, 7), undefined);
  t.is(memo.find('10.0.0.5', 'GET', `${CREDS}/`, 7), undefined);
  t.is(memo.find('10.0.0.6', 'GET', CREDS, 7), undefined, 'another caller');
  // Remembering at a new revision forgets the caller's answers of the old one.
  const listing = memoized({ url: '/latest/meta-data/iam/security-credentials/', credentials: undefined });
  memo.remember('10.0.0.5', 8, listing);
  t.is(memo.find('10.0.0.5', 'GET', listing.url, 8), listing);
  t.is(memo.find('10.0.0.5', 'GET', CREDS, 8), undefined);
});

test('a caller keeps its last few answers, one per method and URL; past the callers bound the longest-known goes', (t) => {
  const memo = new AnswerMemo({ perCaller: 2, maxCallers: 2 });
  const urls = ['/a', '/b', '/c'];
  for (const url of urls) memo.remember('ip1', 1, memoized({ url }));
  t.is(memo.find('ip1', 'GET', '/a', 1), undefined, 'the oldest went');
  t.truthy(memo.find('ip1', 'GET', '/b', 1));
  const newer = memoized({ url: '/b', token: 'tok' });
  memo.remember('ip1', 1, newer);
  t.is(memo.find('ip1', 'GET', '/b', 1), newer, 'replaced, not added');
  t.truthy(memo.find('ip1', 'GET', '/c', 1), 'so /c is still there');
  memo.remember('ip2', 1, memoized());
  t.is(memo.size, 2);
  memo.remember('ip3', 1, memoized());
  t.is(memo.size, 2);
  t.is(memo.find('ip1', 'GET', '/c', 1), undefined, 'ip1 was the first caller');
  t.truthy(memo.find('ip2', 'GET', CREDS, 1));
  t.truthy(memo.find('ip3', 'GET', CREDS, 1));
});

test('a memoized answer holds only for the same token, before its expiry, without a body or X-Forwarded-For', (t) => {
  const a = memoized({ token: 'tok', validUntil: 1000 });
  const headers = { ...NO_HEADERS, token: 'tok' };
  t.true(stillHolds(a, headers, 999));
  t.false(stillHolds(a, headers, 1000), 'expired');
  t.false(stillHolds(a, { ...headers, token: 'other' }, 0));
  t.false(stillHolds(a, NO_HEADERS, 0), 'no token where there was one');
  t.false(stillHolds(a, { ...headers, forwardedFor: '1.2.3.4' }, 0));
  t.false(stillHolds(a, { ...headers, contentLength: '0' }, 0));
  t.false(stillHolds(a, { ...headers, transferEncoding: 'chunked' }, 0));
  t.true(memoizable(NO_HEADERS));
  t.false(memoizable({ ...NO_HEADERS, contentLength: '5' }));
});

/** A small deterministic random source (mulberry32), so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const arn = (role: string): string => `arn:aws:iam::123456789012:role/${role}`;
const ROLES = ['role-a', 'role-b', 'role-c'];
const NAMESPACES = ['ns1', 'ns2'];
const ACCOUNTS = ['sa0', 'sa1', 'sa2'];
const IPS = ['10.1.0.1', '10.1.0.2', '10.1.0.3', '10.1.0.4'];

function namespaceObject(name: string, rv: number, allowed: readonly string[]): KubeObject {
  return { metadata: { name, uid: `ns-${name}`, resourceVersion: String(rv), annotations: { [ALLOWED_ROLES_ANNOTATION]: JSON.stringify(allowed.map(arn)) } } };
}

for (const seed of [1, 2, 3]) {
  test(`seed ${seed}: through churn of pods, ServiceAccounts, Namespaces, the pod watch, credentials and time, the memo changes no answer`, async (t) => {
    const pick = random(seed);
    const one = <T>(xs: readonly T[]): T => xs[Math.floor(pick() * xs.length)]!;
    const clock = new ManualClock(Date.UTC(2026, 11, 7, 12, 0, 0));
    const revision = new CacheRevision();
    const reader: PodReader = { currentRevision: async () => '1', podsWithIp: async () => [], pod: async () => null };
    const podGuard = new PodCacheGuard({ reader, clock, logger: silentLogger, onLive: () => undefined });
    const pods = new PodIndex({ ipChanged: () => undefined, progress: (rv) => podGuard.progress(rv), connected: (open) => podGuard.connected(open) });
    const serviceAccounts = new ServiceAccountIndex({ serviceAccountChanged: () => undefined });
    const namespaces = new NamespaceIndex({ baseRoleArn: undefined, listener: { namespaceChanged: () => undefined } });
    // As app.ts wires them: every change reaches the caches through a watched sink.
    const sink = { pods: revision.watch(pods), serviceAccounts: revision.watch(serviceAccounts), namespaces: revision.watch(namespaces) };
    const deps = { pods, serviceAccounts, waiters: new KeyedWaiters(), podGuard, policy: namespaces };
    // The credentials store's view: what it hands out now for each role (replaced by a refresh, gone when dropped).
    const handedOut = new Map<string, Credentials>();
    let issued = 0;
    const refresh = (role: string): void => {
      issued++;
      handedOut.set(arn(role), { ...CREDENTIALS, accessKeyId: `ASIA${String(issued).padStart(16, '0')}`, expiration: clock.now() + 3_600_000 });
    };
    const tokens = createTokenSigner({ skewToleranceMs: 1000 });
    let roleCalls = 0;
    const instant = (counted: boolean): InstantAnswers => ({
      role: (ip) => {
        if (counted) roleCalls++;
        return roleNow(deps, ip);
      },
      credentials: (binding) => handedOut.get(binding.roleArn),
      revision: () => revision.value,
    });
    const side = (memo: boolean) => {
      const events: string[] = [];
      const fast = createFastPath({
        instant: instant(memo), tokens, clock, logger: silentLogger, metrics: noMetadataMetrics, imdsV1: 'allowed', rendered: createRenderedAnswers(),
        events: { record: (e: PodEvent) => events.push(`${e.pod.uid} ${e.reason} ${e.message}`) }, ...(memo ? {} : { memo: false as const }),
      });
      const listener: RequestListener = (req, res) => {
        if (fast(req, res)) return;
        res.statusCode = 599; // declined: the Koa app would decide
        res.end();
      };
      return { listener, events };
    };
    const withMemo = side(true);
    const without = side(false);

    for (const ns of NAMESPACES) sink.namespaces.apply('ADDED', namespaceObject(ns, 1, ROLES));
    let rv = 10;
    const accounts = new Map<string, string | undefined>();
    for (const ns of NAMESPACES) for (const sa of ACCOUNTS) {
      const role = one(ROLES);
      accounts.set(`${ns}/${sa}`, role);
      sink.serviceAccounts.apply('ADDED', serviceAccountObject({ name: sa, namespace: ns, rv: String(rv++), roleArn: arn(role) }));
    }
    for (const role of ROLES) refresh(role);
    let uid = 0;
    const live = new Map<string, string>(); // ip -> uid of the pod holding it
    const accountAt = new Map<string, string>(); // ip -> namespace/ServiceAccount of the newest pod there
    const podAt = (ip: string, deleting = false, known?: string) => {
      const id = known ?? `p${uid++}`;
      const [namespace, sa] = [one(NAMESPACES), one(ACCOUNTS)];
      if (!known) accountAt.set(ip, `${namespace}/${sa}`);
      sink.pods.apply(known ? 'MODIFIED' : 'ADDED', podObject({ uid: id, ip, sa, namespace, rv: String(rv++), deleting }));
      return id;
    };
    for (const ip of IPS) live.set(ip, podAt(ip));
    sink.pods.connected?.(true);
    sink.pods.progress?.(String(rv));
    await flushMicrotasks();

    const tokensByIp = new Map<string, string>();
    const requests = (): Array<{ ip: string; method: 'GET' | 'HEAD'; url: string; token: string | undefined }> =>
      Array.from({ length: 10 }, () => {
        const ip = one(IPS);
        // Mostly the role the caller's ServiceAccount names (as an SDK asks), sometimes another.
        const role = (pick() < 0.7 && accounts.get(accountAt.get(ip) ?? '')) || one(ROLES);
        const url = one([
          `/latest/meta-data/iam/security-credentials/${role}`,
          `/latest/meta-data/iam/security-credentials-extended/${role}`,
          '/latest/meta-data/iam/security-credentials/',
        ]);
        return { ip, method: pick() < 0.1 ? 'HEAD' : 'GET', url, token: pick() < 0.6 ? tokensByIp.get(ip) : undefined };
      });

    let answered = 0;
    let compared = 0;
    let hits = 0;
    for (let step = 0; step < 500; step++) {
      // Half the steps change nothing: the requests after them repeat earlier ones at the same revision.
      const op = pick() < 0.5 ? 1 : pick();
      if (op < 0.15) {
        // A pod replaced: its IP to a new pod at once, or after the old one terminates for a while.
        const ip = one(IPS);
        const old = live.get(ip);
        if (old !== undefined && pick() < 0.5) podAt(ip, true, old);
        else if (old !== undefined) sink.pods.apply('DELETED', podObject({ uid: old, ip }));
        live.set(ip, podAt(ip));
      } else if (op < 0.2) {
        const ip = one(IPS);
        const old = live.get(ip);
        if (old !== undefined) sink.pods.apply('DELETED', podObject({ uid: old, ip }));
        live.delete(ip);
      } else if (op < 0.32) {
        const ns = one(NAMESPACES);
        const sa = one(ACCOUNTS);
        const role = pick() < 0.2 ? undefined : one(ROLES);
        accounts.set(`${ns}/${sa}`, role);
        sink.serviceAccounts.apply('MODIFIED', serviceAccountObject({ name: sa, namespace: ns, rv: String(rv++), ...(role ? { roleArn: arn(role) } : {}) }));
      } else if (op < 0.38) {
        sink.namespaces.apply('MODIFIED', namespaceObject(one(NAMESPACES), rv++, ROLES.filter(() => pick() < 0.7)));
      } else if (op < 0.44) {
        // The pod watch ends (roles then need a confirming read) or opens and catches up.
        if (pick() < 0.3) sink.pods.connected?.(false);
        else {
          sink.pods.connected?.(true);
          sink.pods.progress?.(String(rv));
          await flushMicrotasks();
        }
      } else if (op < 0.56) {
        const role = one(ROLES);
        if (pick() < 0.2) handedOut.delete(arn(role));
        else refresh(role);
      } else if (op < 0.7) {
        await clock.advance(Math.floor(pick() * 3000));
      } else if (op < 0.8) {
        const ip = one(IPS);
        tokensByIp.set(ip, tokens.issue(ip, 1 + Math.floor(pick() * 20), clock.now()));
      } else if (op < 0.85) {
        sink.pods.progress?.(String(rv)); // a bookmark
      }
      for (const r of requests()) {
        const send = (listener: RequestListener) =>
          inject(listener, { method: r.method, url: r.url, remoteAddress: r.ip, headers: r.token ? { 'x-aws-ec2-metadata-token': r.token } : {} });
        const a = await send(without.listener);
        const callsBefore = roleCalls;
        const b = await send(withMemo.listener);
        if (b.statusCode === 200 && roleCalls === callsBefore) hits++;
        const what = `step ${step}: ${r.method} ${r.url} from ${r.ip}${r.token ? ' with a token' : ''}`;
        t.is(b.statusCode, a.statusCode, what);
        t.is(b.body, a.body, what);
        t.is(b.headers['content-length'], a.headers['content-length'], what);
        compared++;
        if (a.statusCode === 200) answered++;
      }
    }
    t.deepEqual(withMemo.events, without.events, 'the same Events, in the same order');
    // The comparison means something only if answers from the memo, answers decided afresh and refusals were all common.
    t.log(`${compared} requests: ${answered} answered, ${hits} of them from the memo`);
    t.true(answered > compared / 8, `answered ${answered} of ${compared}`);
    t.true(hits > answered / 4 && hits < answered * 0.9, `${hits} of ${answered} from the memo`);
  });
}
