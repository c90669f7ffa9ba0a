// ip2service's manifests hold what issue 7 asks of them, and agree with the server's: flag values are read with
// ip2service's own parser.
import test from 'ava';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { IClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import type { IClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { ip2serviceFlags, parseIp2serviceArgs, type Ip2serviceConfig } from '@iam4kube/ip2service';
import { buildManifests, find, type BuiltManifests, type ManifestObject } from '../support/manifests.js';
import { container, containerEnv, podSpec } from '../support/pod-spec.js';

let manifests: BuiltManifests;
let objects: ManifestObject[];
let daemonSet: IDaemonSet & ManifestObject;
let agent: IContainer;
let config: Ip2serviceConfig;
test.before(async () => {
  manifests = await buildManifests();
  objects = manifests.objects('install');
  daemonSet = find<IDaemonSet>(objects, 'DaemonSet', 'ip2service');
  agent = container(daemonSet, 'ip2service');
  config = configOf(agent);
});
test.after.always(() => manifests?.copy.remove());

function configOf(c: IContainer): Ip2serviceConfig {
  const parsed = parseIp2serviceArgs(c.args ?? [], containerEnv(c));
  if (parsed.kind !== 'run' || parsed.command !== 'run') throw new Error('the DaemonSet does not run the agent');
  return parsed.config;
}

test('it redirects to the server Service, through the port the Service names "metadata" (ip2service\'s default)', (t) => {
  const service = find<IService>(objects, 'Service', config.serviceName);
  t.is(service.metadata!.namespace, config.serviceNamespace);
  t.is(config.servicePortName, ip2serviceFlags.servicePortName.default);
  const port = service.spec!.ports!.find((p) => p.name === config.servicePortName);
  t.truthy(port, `the Service has no port named ${config.servicePortName}`);
  const deployment = find<IDeployment>(objects, 'Deployment', 'iam4kube-server');
  const metadataPort = container(deployment, 'server').ports!.find((p) => p.name === port!.targetPort)!.containerPort;
  t.is(metadataPort, 8181);
});

test('hostNetwork, root with NET_ADMIN and NET_RAW only, nothing else privileged', (t) => {
  const spec = podSpec(daemonSet);
  t.true(spec.hostNetwork);
  t.is(spec.dnsPolicy, 'ClusterFirstWithHostNet');
  const sc = agent.securityContext!;
  t.deepEqual(sc.capabilities, { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW'] });
  t.false(sc.privileged);
  t.false(sc.allowPrivilegeEscalation);
  t.true(sc.readOnlyRootFilesystem);
  t.deepEqual(spec.volumes!.map((v) => v.hostPath?.path), ['/run/xtables.lock']);
});

test('never on the server\'s node pool, everywhere else (every taint tolerated), scheduled early', (t) => {
  const spec = podSpec(daemonSet);
  const serverPool = podSpec(find<IDeployment>(objects, 'Deployment', 'iam4kube-server')).nodeSelector!;
  const terms = spec.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms;
  // Every term must exclude a node carrying the server pool's label (terms are ORed).
  for (const term of terms) {
    t.true(
      term.matchExpressions!.some((e) => e.key in serverPool && (e.operator === 'DoesNotExist' || (e.operator === 'NotIn' && e.values!.includes(serverPool[e.key]!)))),
      JSON.stringify(term),
    );
  }
  t.deepEqual(spec.tolerations, [{ operator: 'Exists' }]);
  t.is(spec.priorityClassName, 'system-node-critical');
});

test('probes on the aux port ip2service listens on; NODE_NAME from the downward API', (t) => {
  const auxPort = agent.ports!.find((p) => p.name === 'aux')!.containerPort;
  t.is(auxPort, config.auxPort);
  t.is(agent.readinessProbe!.httpGet!.path, '/readyz');
  t.is(agent.livenessProbe!.httpGet!.path, '/healthz');
  t.is(agent.readinessProbe!.httpGet!.port, 'aux');
  t.deepEqual(agent.env!.find((e) => e.name === 'NODE_NAME')!.valueFrom, { fieldRef: { fieldPath: 'spec.nodeName' } });
});

test('RBAC: list and watch EndpointSlices in the server\'s namespace only; nodes only with the remove-taint overlay', (t) => {
  const role = find<IRole>(objects, 'Role', 'ip2service');
  t.is(role.metadata!.namespace, config.serviceNamespace);
  t.deepEqual(role.rules, [{ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] }]);
  const subject = { kind: 'ServiceAccount', name: podSpec(daemonSet).serviceAccountName!, namespace: daemonSet.metadata!.namespace! };
  t.deepEqual(find<IRoleBinding>(objects, 'RoleBinding', 'ip2service').subjects, [subject]);
  t.false(objects.some((o) => o.kind === 'ClusterRoleBinding' && JSON.stringify(o).includes('"name":"ip2service"')));
  t.is(config.removeTaint, undefined);

  const overlay = manifests.objects('overlays/remove-taint');
  const withTaint = configOf(container(find<IDaemonSet>(overlay, 'DaemonSet', 'ip2service')));
  t.is(withTaint.removeTaint, 'iam4kube.io/agent-not-ready');
  t.is(withTaint.nodeName, 'node-a.example.internal');
  t.deepEqual(find<IClusterRole>(overlay, 'ClusterRole', 'ip2service-remove-taint').rules, [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] }]);
  t.deepEqual(find<IClusterRoleBinding>(overlay, 'ClusterRoleBinding', 'ip2service-remove-taint').subjects, [subject]);
});
