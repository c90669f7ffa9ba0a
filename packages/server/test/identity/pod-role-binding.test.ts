import test from 'ava';
import { createPodRoleBindings, normalizeBaseRoleArn, podRoleBindingFor, qualifyRole } from '../../src/identity/pod-role-binding.js';

const KEY = 'iam.amazonaws.com/role';

test('--base-role-arn: validated, trailing slash added, paths kept', (t) => {
  t.deepEqual(normalizeBaseRoleArn('arn:aws:iam::123456789012:role/'), { ok: true, value: 'arn:aws:iam::123456789012:role/' });
  t.deepEqual(normalizeBaseRoleArn('arn:aws:iam::123456789012:role'), { ok: true, value: 'arn:aws:iam::123456789012:role/' });
  t.deepEqual(normalizeBaseRoleArn('arn:aws-cn:iam::123456789012:role/k8s/team'), { ok: true, value: 'arn:aws-cn:iam::123456789012:role/k8s/team/' });
  for (const bad of ['arn:aws:iam::12345:role/', 'arn:aws:sts::123456789012:role/', 'role/', 'arn:aws:iam::123456789012:user/', 'arn:aws:iam::123456789012:role/a//b/']) {
    t.false(normalizeBaseRoleArn(bad).ok, bad);
  }
});

test('qualifyRole: ARNs as they are, names under the base ARN, nothing without one', (t) => {
  t.is(qualifyRole('arn:aws:iam::123456789012:role/x', undefined), 'arn:aws:iam::123456789012:role/x');
  t.is(qualifyRole('x', 'arn:aws:iam::123456789012:role/'), 'arn:aws:iam::123456789012:role/x');
  t.is(qualifyRole('path/x', 'arn:aws:iam::123456789012:role/'), 'arn:aws:iam::123456789012:role/path/x');
  t.is(qualifyRole('x', undefined), undefined);
  t.is(qualifyRole('/x', 'arn:aws:iam::123456789012:role/'), 'arn:aws:iam::123456789012:role/x', 'kiam\'s leading slash');
  t.is(qualifyRole('/path/x', 'arn:aws:iam::123456789012:role/'), 'arn:aws:iam::123456789012:role/path/x');
});

test('a pod binding: the ServiceAccount session name, no external ID; invalid values explained', (t) => {
  const base = 'arn:aws:iam::123456789012:role/';
  t.deepEqual(podRoleBindingFor({ namespace: 'ns', serviceAccount: 'sa', value: ' reader ', annotation: KEY, baseRoleArn: base }), {
    kind: 'role',
    roleArn: `${base}reader`,
    roleName: 'reader',
    externalId: undefined,
    sessionName: 'ns@sa',
  });
  const noBase = podRoleBindingFor({ namespace: 'ns', serviceAccount: 'sa', value: 'reader', annotation: KEY, baseRoleArn: undefined });
  t.is(noBase.kind, 'invalid');
  if (noBase.kind === 'invalid') t.regex(noBase.reason, /iam\.amazonaws\.com\/role: "reader" is a role name, but no --base-role-arn/);
  t.is(podRoleBindingFor({ namespace: 'ns', serviceAccount: 'sa', value: 'bad name!', annotation: KEY, baseRoleArn: base }).kind, 'invalid');
});

test('bindings are parsed once per (namespace, ServiceAccount, value) and shared', (t) => {
  const bindings = createPodRoleBindings({ annotation: KEY, baseRoleArn: 'arn:aws:iam::123456789012:role/' });
  const a = bindings.bindingOf({ namespace: 'ns', serviceAccountName: 'sa', roleAnnotation: 'r' });
  t.is(bindings.bindingOf({ namespace: 'ns', serviceAccountName: 'sa', roleAnnotation: 'r' }), a);
  t.not(bindings.bindingOf({ namespace: 'ns', serviceAccountName: 'other', roleAnnotation: 'r' }), a);
  t.is(bindings.bindingOf({ namespace: 'ns', serviceAccountName: 'sa', roleAnnotation: undefined }), undefined);
  t.true(Object.isFrozen(a));
});
