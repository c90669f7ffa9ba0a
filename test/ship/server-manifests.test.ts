// The server's manifests hold what issue 7 asks of them. Flag values are read with the server's own parser, so a
// default changing in code cannot leave the manifest behind unnoticed.
import test from 'ava';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import type { IClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import type { IService } from 'kubernetes-models/v1/Service';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { parseServerArgs, type ServerConfig } from '@iam4kube/server';
import { buildManifests, find, type BuiltManifests, type ManifestObject } from '../support/manifests.js';
import { container, containerEnv, podSpec } from '../support/pod-spec.js';

let objects: ManifestObject[];
let manifests: BuiltManifests;
let deployment: IDeployment & ManifestObject;
let server: IContainer;
let config: ServerConfig;
test.before(async () => {
  manifests = await buildManifests();
  objects = manifests.objects('install');
  deployment = find<IDeployment>(objects, 'Deployment', 'iam4kube-server');
  server = container(deployment, 'server');
  const parsed = parseServerArgs(server.args ?? [], containerEnv(server));
  if (parsed.kind !== 'run') throw new Error('the server args ask for --help');
  config = parsed.values;
});
test.after.always(() => manifests?.copy.remove());

const podLabels = () => deployment.spec!.template.metadata!.labels!;
const selects = (selector: Record<string, string> | undefined) =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => podLabels()[k] === v);
const portNumber = (port: number | string) => (typeof port === 'number' ? port : server.ports!.find((p) => p.name === port)!.containerPort);

test('at least two replicas, rolled out with maxUnavailable 0', (t) => {
  t.true(deployment.spec!.replicas! >= 2);
  t.is(deployment.spec!.strategy!.type, 'RollingUpdate');
  t.is(deployment.spec!.strategy!.rollingUpdate!.maxUnavailable, 0);
  t.true(selects(deployment.spec!.selector.matchLabels));
});

test('readiness on /readyz and liveness on /healthz, on the aux port the server listens on', (t) => {
  t.is(server.readinessProbe!.httpGet!.path, '/readyz');
  t.is(server.livenessProbe!.httpGet!.path, '/healthz');
  t.is(portNumber(server.readinessProbe!.httpGet!.port), config.auxPort);
  t.is(portNumber(server.livenessProbe!.httpGet!.port), config.auxPort);
  t.is(portNumber('metadata'), config.metadataPort);
});

test('the grace period outlasts the shutdown delay plus the longest wait of a request accepted just before it', (t) => {
  const graceMs = podSpec(deployment).terminationGracePeriodSeconds! * 1000;
  t.true(config.shutdownDelay > 0);
  t.true(graceMs > config.shutdownDelay + config.waitTimeout, `${graceMs} <= ${config.shutdownDelay} + ${config.waitTimeout}`);
});

test('spread across zones (and hosts), on the dedicated node pool only', (t) => {
  const spec = podSpec(deployment);
  const zone = spec.topologySpreadConstraints!.find((c) => c.topologyKey === 'topology.kubernetes.io/zone');
  t.truthy(zone);
  t.true(selects(zone!.labelSelector!.matchLabels));
  t.deepEqual(spec.nodeSelector, { 'iam4kube.io/server-pool': 'true' });
  t.true(spec.tolerations!.some((tol) => tol.key === 'iam4kube.io/server-pool' && tol.effect === 'NoSchedule'));
});

test('non-root, no privilege escalation, read-only root filesystem, every capability dropped (Pod Security restricted)', (t) => {
  const pod = podSpec(deployment).securityContext!;
  t.true(pod.runAsNonRoot);
  t.true(pod.runAsUser! > 0);
  t.is(pod.seccompProfile!.type, 'RuntimeDefault');
  const c = server.securityContext!;
  t.false(c.allowPrivilegeEscalation);
  t.true(c.readOnlyRootFilesystem);
  t.deepEqual(c.capabilities, { drop: ['ALL'] });
  t.falsy(c.privileged);
  t.falsy(podSpec(deployment).hostNetwork);
  const ns = find<INamespace>(objects, 'Namespace', 'iam4kube');
  t.is(ns.metadata!.labels!['pod-security.kubernetes.io/enforce'], 'restricted');
});

test('the token key comes from the generated Secret, mounted read-only where --token-key-file points', (t) => {
  const volume = podSpec(deployment).volumes!.find((v) => v.secret?.secretName?.startsWith('iam4kube-token-key-'))!;
  t.truthy(volume);
  const mount = server.volumeMounts!.find((m) => m.name === volume.name)!;
  t.true(mount.readOnly);
  t.is(config.tokenKeyFile, `${mount.mountPath}/token-key`);
});

test('least-privilege RBAC: read pods, serviceaccounts and nodes, list/watch namespaces; create and patch events; nothing else', (t) => {
  const role = find<IClusterRole>(objects, 'ClusterRole', 'iam4kube-server');
  const grants = role.rules!.flatMap((r) => r.apiGroups!.flatMap((g) => r.resources!.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`)))).sort();
  t.deepEqual(grants, [
    '/events:create', '/events:patch',
    '/namespaces:list', '/namespaces:watch',
    '/nodes:get', '/nodes:list', '/nodes:watch',
    '/pods:get', '/pods:list', '/pods:watch',
    '/serviceaccounts:get', '/serviceaccounts:list', '/serviceaccounts:watch',
    'events.k8s.io/events:create', 'events.k8s.io/events:patch',
  ]);
  const binding = find<IClusterRoleBinding>(objects, 'ClusterRoleBinding', 'iam4kube-server');
  t.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'iam4kube-server' });
  t.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: podSpec(deployment).serviceAccountName!, namespace: 'iam4kube' }]);
});

test('the Service selects the server pods and maps the metadata and metrics ports to the container', (t) => {
  const service = find<IService>(objects, 'Service', 'iam4kube-server');
  t.true(selects(service.spec!.selector));
  const byName = Object.fromEntries(service.spec!.ports!.map((p) => [p.name, portNumber(p.targetPort!)]));
  t.deepEqual(byName, { metadata: config.metadataPort, metrics: config.auxPort });
});

test('the PodDisruptionBudget covers the server pods and leaves one running', (t) => {
  const pdb = find<IPodDisruptionBudget>(objects, 'PodDisruptionBudget', 'iam4kube-server');
  t.true(selects(pdb.spec!.selector!.matchLabels));
  t.true(Number(pdb.spec!.maxUnavailable) < deployment.spec!.replicas!);
});

test('the NetworkPolicy lets in only the metadata and aux ports, and out only DNS, HTTPS/the API server and the node IMDS', (t) => {
  const policy = find<INetworkPolicy>(objects, 'NetworkPolicy', 'iam4kube-server');
  t.true(selects(policy.spec!.podSelector!.matchLabels));
  t.deepEqual(policy.spec!.policyTypes, ['Ingress', 'Egress']);
  const ports = (rules: Array<{ ports?: Array<{ port?: number | string; protocol?: string }> }>) =>
    rules.flatMap((r) => (r.ports ?? []).map((p) => `${p.protocol}/${p.port}`)).sort();
  t.deepEqual(ports(policy.spec!.ingress!), [`TCP/${config.auxPort}`, `TCP/${config.metadataPort}`].sort());
  t.deepEqual(ports(policy.spec!.egress!), ['TCP/443', 'TCP/53', 'TCP/6443', 'TCP/80', 'UDP/53']);
  const imds = policy.spec!.egress!.find((r) => r.ports!.some((p) => p.port === 80))!;
  t.deepEqual(imds.to, [{ ipBlock: { cidr: '169.254.169.254/32' } }]);
  t.true(policy.spec!.egress!.every((r) => r.ports && r.ports.length > 0), 'no rule allows every port');
});
