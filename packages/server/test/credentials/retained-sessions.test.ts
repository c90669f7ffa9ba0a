import test from 'ava';
import { RetainedSessions, type AnnotatedPodRef, type BoundServiceAccount } from '../../src/credentials/retained-sessions.js';
import { lookupKey, type SessionRequest } from '../../src/credentials/session-request.js';
import { NamespaceIndex } from '../../src/kube/namespace-index.js';
import { createPodRoleBindings } from '../../src/identity/pod-role-binding.js';
import { roleBindingFor } from '../../src/identity/role-binding.js';

const ROLE = 'arn:aws:iam::123456789012:role/';
const KEY = 'iam.amazonaws.com/role';

/** The store's reference counting, as the real one counts: an entry lives while it has references. */
class Refs {
  readonly counts = new Map<string, number>();
  readonly created: string[] = [];
  readonly dropped: string[] = [];
  retain(r: SessionRequest): void {
    const key = lookupKey(r);
    const n = this.counts.get(key) ?? 0;
    if (n === 0) this.created.push(key);
    this.counts.set(key, n + 1);
  }
  release(r: SessionRequest): void {
    const key = lookupKey(r);
    const n = (this.counts.get(key) ?? 0) - 1;
    if (n < 0) throw new Error(`released more than retained: ${key}`);
    if (n === 0) {
      this.counts.delete(key);
      this.dropped.push(key);
    } else this.counts.set(key, n);
  }
  live(): string[] {
    return [...this.counts.keys()].sort();
  }
}

function setup(o: { restrictions?: boolean } = {}) {
  const refs = new Refs();
  const accounts = new Map<string, BoundServiceAccount>();
  const namespaces = new NamespaceIndex({ baseRoleArn: ROLE, listener: { namespaceChanged: (name) => retained.namespaceChanged(name) } });
  const retained: RetainedSessions = new RetainedSessions({
    sessions: refs,
    options: { sessionTags: false, clusterName: undefined, sourceIdentity: false },
    serviceAccount: (ns, name) => accounts.get(`${ns}/${name}`),
    ...(o.restrictions ? { policy: namespaces } : {}),
    podRoles: createPodRoleBindings({ annotation: KEY, baseRoleArn: ROLE }),
  });
  const sa = (name: string, roleArn?: string, ns = 'demo'): void => {
    const key = `${ns}/${name}`;
    const previous = accounts.get(key);
    const record = { namespace: ns, name, uid: `uid-${name}`, binding: roleBindingFor(ns, name, roleArn ? { 'iam.amazonaws.com/roleArn': roleArn } : {}) };
    accounts.set(key, record);
    retained.serviceAccountChanged(record, previous);
  };
  const setNamespace = (annotations: Record<string, string>, rv: string, ns = 'demo'): void =>
    namespaces.apply('MODIFIED', { metadata: { name: ns, uid: `ns-${ns}`, resourceVersion: rv, annotations } });
  return { refs, retained, sa, setNamespace, namespaces };
}

function pod(uid: string, role: string | undefined, sa = 'bare', hostNetwork = false): AnnotatedPodRef {
  return { uid, namespace: 'demo', serviceAccountName: sa, hostNetwork, roleAnnotation: role };
}

const key = (role: string, sa = 'bare'): string => `${ROLE}${role}||demo@${sa}`;

test('pods of one ServiceAccount naming one role share one entry; released with the last pod', (t) => {
  const { refs, retained, sa } = setup();
  sa('bare');
  const pods = [pod('p1', 'reader'), pod('p2', 'reader'), pod('p3', 'reader')];
  for (const p of pods) retained.annotatedPodChanged(p, undefined);
  t.deepEqual(refs.created, [key('reader')]);
  t.is(refs.counts.get(key('reader')), 3);
  retained.annotatedPodChanged(undefined, pods[0]);
  retained.annotatedPodChanged({ ...pods[1]!, roleAnnotation: 'writer' }, pods[1]);
  t.deepEqual(refs.live(), [key('reader'), key('writer')]);
  retained.annotatedPodChanged(undefined, pods[2]);
  t.deepEqual(refs.live(), [key('writer')]);
  t.deepEqual(refs.dropped, [key('reader')]);
});

test('a pod annotation is not retained while its ServiceAccount has a role (precedence), or for a hostNetwork pod', (t) => {
  const { refs, retained, sa } = setup();
  sa('app', `${ROLE}from-sa`);
  retained.annotatedPodChanged(pod('p1', 'from-pod', 'app'), undefined);
  retained.annotatedPodChanged(pod('p2', 'host', 'bare', true), undefined);
  t.deepEqual(refs.live(), [key('from-sa', 'app')]);
  // The ServiceAccount loses its annotation: the pod's own role takes over.
  sa('app');
  t.deepEqual(refs.live(), [key('from-pod', 'app')]);
  sa('app', `${ROLE}from-sa`);
  t.deepEqual(refs.live(), [key('from-sa', 'app')]);
});

test('restrictions: nothing retained before the Namespace is known; changes retain and release in both directions', (t) => {
  const { refs, retained, sa, setNamespace } = setup({ restrictions: true });
  sa('app', `${ROLE}app`);
  sa('bare');
  retained.annotatedPodChanged(pod('p1', 'reader'), undefined);
  t.deepEqual(refs.live(), []);
  setNamespace({ 'iam.amazonaws.com/allowed-roles': '["app"]' }, '1');
  t.deepEqual(refs.live(), [key('app', 'app')]);
  setNamespace({ 'iam.amazonaws.com/permitted': '.*/reader' }, '2');
  t.deepEqual(refs.live(), [key('reader')]);
  t.deepEqual(refs.dropped, [key('app', 'app')]);
  setNamespace({ 'iam.amazonaws.com/permitted': '(' }, '3'); // malformed: nothing
  t.deepEqual(refs.live(), []);
  setNamespace({ 'iam.amazonaws.com/allowed-roles': '["*"]' }, '4');
  t.deepEqual(refs.live(), [key('app', 'app'), key('reader')]);
  t.deepEqual(refs.created, [key('app', 'app'), key('reader'), key('app', 'app'), key('reader')]);
});

test('restrictions: a ServiceAccount re-annotated to a forbidden role releases the old one and retains nothing', (t) => {
  const { refs, sa, setNamespace } = setup({ restrictions: true });
  setNamespace({ 'iam.amazonaws.com/allowed-roles': '["ok"]' }, '1');
  sa('app', `${ROLE}ok`);
  t.deepEqual(refs.live(), [key('ok', 'app')]);
  sa('app', `${ROLE}forbidden`);
  t.deepEqual(refs.live(), []);
  t.false(refs.created.includes(key('forbidden', 'app')));
});
