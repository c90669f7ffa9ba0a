import test from 'ava';
import { matchesLabels, parseLabelSelector, SelectorParseError } from '../../src/kube-api/label-selector.js';

const matches = (selector: string, labels: Record<string, string>): boolean => matchesLabels(parseLabelSelector(selector), labels);

test('equality operators', (t) => {
  t.true(matches('app=web', { app: 'web' }));
  t.true(matches('app==web', { app: 'web' }));
  t.false(matches('app=web', { app: 'db' }));
  t.false(matches('app=web', {}));
  t.true(matches('app!=web', { app: 'db' }));
  t.true(matches('app!=web', {}), '!= matches when the label is absent');
  t.false(matches('app!=web', { app: 'web' }));
});

test('set operators', (t) => {
  t.true(matches('env in (prod, staging)', { env: 'staging' }));
  t.false(matches('env in (prod,staging)', { env: 'dev' }));
  t.false(matches('env in (prod)', {}));
  t.true(matches('env notin (prod)', { env: 'dev' }));
  t.true(matches('env notin (prod)', {}));
  t.false(matches('env notin (prod,dev)', { env: 'dev' }));
});

test('existence and numeric comparison', (t) => {
  t.true(matches('app', { app: '' }));
  t.false(matches('app', { other: 'x' }));
  t.true(matches('!app', { other: 'x' }));
  t.false(matches('!app', { app: 'x' }));
  t.true(matches('replicas>2', { replicas: '3' }));
  t.false(matches('replicas>2', { replicas: '2' }));
  t.true(matches('replicas<2', { replicas: '1' }));
  t.false(matches('replicas<2', { replicas: 'x' }));
});

test('requirements are ANDed; empty selector matches everything', (t) => {
  t.true(matches('app=web,tier in (fe),!canary', { app: 'web', tier: 'fe' }));
  t.false(matches('app=web,tier in (fe),!canary', { app: 'web', tier: 'fe', canary: 'true' }));
  t.true(matches('', { anything: 'x' }));
  t.true(matches('  ', {}));
});

test('qualified keys and empty values', (t) => {
  t.true(matches('app.kubernetes.io/name=iam4kube', { 'app.kubernetes.io/name': 'iam4kube' }));
  t.true(matches('a=', { a: '' }));
  t.false(matches('a=', { a: 'x' }));
  t.deepEqual(parseLabelSelector('a = b , c'), [
    { key: 'a', operator: '=', values: ['b'] },
    { key: 'c', operator: 'exists', values: [] },
  ]);
});

test('invalid selectors throw', (t) => {
  for (const bad of ['a in', 'a in (', 'a in ()', '=b', 'a=b c', 'a>x', 'Bad Key=1', 'a=b,', '-a=b', 'a=in-valid-']) {
    t.throws(() => parseLabelSelector(bad), { instanceOf: SelectorParseError }, bad);
  }
});
