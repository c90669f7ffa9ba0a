import test from 'ava';
import { matchRoute, normalizeMetadataPath } from '../../src/metadata/paths.js';

test('normalisation collapses slashes and maps dated versions to latest', (t) => {
  t.is(normalizeMetadataPath('//latest//meta-data///iam/'), '/latest/meta-data/iam/');
  t.is(normalizeMetadataPath('/2021-07-15/meta-data/'), '/latest/meta-data/');
  t.is(normalizeMetadataPath('/latest/2021-07-15/'), '/latest/2021-07-15/', 'only the first segment is a version');
});

test('normalisation refuses what could smuggle a path past the matching', (t) => {
  for (const raw of ['/latest/meta-data/iam/security-credentials/%2e%2e', '/latest%2fmeta-data/', '/latest/meta-data/iam/../iam/', '/latest/./meta-data/', '/latest/meta-data/..', '/latest\\meta-data/', 'latest/meta-data/', '*', '']) {
    t.is(normalizeMetadataPath(raw), undefined, raw);
  }
});

test('routes: every served path with and without a trailing slash, role names by IAM rules', (t) => {
  t.like(matchRoute('/latest/api/token'), { name: 'token', method: 'PUT' });
  t.is(matchRoute('/latest/api/token/'), undefined);
  t.like(matchRoute('/latest/meta-data'), { name: 'meta-data', method: 'GET' });
  t.like(matchRoute('/latest/meta-data/'), { name: 'meta-data' });
  t.like(matchRoute('/latest/meta-data/iam/security-credentials/'), { name: 'credentials-list' });
  t.like(matchRoute('/latest/meta-data/iam/security-credentials/my.role+x=y,z@w-1_2'), { name: 'credentials', role: 'my.role+x=y,z@w-1_2' });
  t.like(matchRoute('/latest/meta-data/iam/security-credentials-extended/r/'), { name: 'credentials-extended', role: 'r' });
  t.like(matchRoute('/latest/meta-data/placement/availability-zone/'), { name: 'availability-zone' });
  t.like(matchRoute('/latest/dynamic/instance-identity/document'), { name: 'identity-document' });
  for (const path of ['/', '/latest', '/latest/', '/latest/meta-data/iam/security-credentials/a/b', `/latest/meta-data/iam/security-credentials/${'a'.repeat(65)}`, '/latest/meta-data/iam/security-credentials/a b', '/latest/user-data', '/latest/meta-data/iam/info']) {
    t.is(matchRoute(path), undefined, path);
  }
});
