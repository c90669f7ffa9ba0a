import test from 'ava';
import { buildManifests, find, type BuiltManifests, type ManifestObject } from '../support/manifests.js';
import { schemaProblems } from '../support/k8s-schema.js';

let manifests: BuiltManifests;
test.before(async () => {
  manifests = await buildManifests();
});
test.after.always(() => manifests?.copy.remove());

test('every object of every kustomization is valid against the Kubernetes OpenAPI schemas, with no unknown field', async (t) => {
  let count = 0;
  for (const [dir, build] of manifests.builds) {
    t.is(build.code, 0, `${dir}: ${build.stderr}`);
    for (const o of build.objects) {
      count++;
      t.deepEqual(await schemaProblems(o), [], `${dir}: ${o.kind}/${o.metadata.name}`);
    }
  }
  t.true(count >= 30, `only ${count} objects`);
});

// The validator must be able to fail: each broken copy of a real object is caught, and says where.
const breakages: Array<[string, (d: any) => void, RegExp]> = [
  ['a misspelt field', (d) => (d.spec.template.spec.containers[0].securityContext.readOnlyRootFs = true), /unknown field spec\.template\.spec\.containers\[0\]\.securityContext\.readOnlyRootFs/],
  ['a field in the wrong place', (d) => (d.spec.terminationGracePeriodSeconds = 30), /unknown field spec\.terminationGracePeriodSeconds/],
  ['a string where an integer belongs', (d) => (d.spec.replicas = '2'), /spec\/replicas must be integer/],
  ['a missing required field', (d) => delete d.spec.template.spec.containers[0].name, /containers\/0 must have required property name/],
  ['a port number out of type', (d) => (d.spec.template.spec.containers[0].ports[0].containerPort = 'http'), /containerPort must be integer/],
];
for (const [what, breakIt, message] of breakages) {
  test(`the validator catches ${what}`, async (t) => {
    const deployment = structuredClone(find(manifests.objects('install'), 'Deployment', 'iam4kube-server'));
    breakIt(deployment);
    const problems = await schemaProblems(deployment);
    t.true(problems.some((p) => message.test(p)), problems.join('\n'));
  });
}

test('the validator rejects a kind the Kubernetes API does not have', async (t) => {
  const bogus: ManifestObject = { apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x' } };
  t.deepEqual(await schemaProblems(bogus), ['Deploymnet/x: apps/v1 Deploymnet is not a Kubernetes API type']);
});
