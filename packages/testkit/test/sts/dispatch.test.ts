import test from 'ava';
import { dispatch } from '../../src/sts/dispatch.js';
import type { DispatchContext } from '../../src/sts/dispatch.js';
import { createFaultState } from '../../src/sts/faults.js';
import { createIdentityStore } from '../../src/sts/identity-store.js';
import { parseQueryParams } from '../../src/sts/query-params.js';
import type { SignedRequest } from '../../src/sts/sigv4-parse.js';
import { sign, stsRequest } from './sign.js';

const NOW = Date.UTC(2030, 0, 1);
const KEYS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' };

function context(extra: Partial<DispatchContext> = {}): DispatchContext {
  return {
    now: NOW,
    accountId: '123456789012',
    store: createIdentityStore({ accountId: '123456789012', baseCredentials: [KEYS] }),
    roles: {},
    unknownRoles: 'allow',
    faults: createFaultState(),
    unavailable: false,
    ...extra,
  };
}

async function request(form: Record<string, string>, signed = true): Promise<[SignedRequest, ReturnType<typeof parseQueryParams>]> {
  const raw = stsRequest('http://127.0.0.1:1', form);
  const req = signed ? await sign(raw, KEYS, { date: new Date(NOW) }) : raw;
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return [{ method: req.method, path: req.path, query: '', headers, body: req.body ?? '' }, parseQueryParams(req.body ?? '')];
}

test('GetCallerIdentity answers 200 with the caller', async (t) => {
  const answer = dispatch(...(await request({ Action: 'GetCallerIdentity', Version: '2011-06-15' })), 'rid', context());
  t.is(answer.status, 200);
  t.is(answer.caller?.principal.arn, 'arn:aws:iam::123456789012:user/iam4kube');
  t.regex(answer.body, /<Arn>arn:aws:iam::123456789012:user\/iam4kube<\/Arn>/);
  t.regex(answer.body, /<RequestId>rid<\/RequestId>/);
});

test('authentication comes before the action check: an unsigned unknown action is MissingAuthenticationToken', async (t) => {
  const [req, params] = await request({ Action: 'Nope', Version: '2011-06-15' }, false);
  t.like(dispatch(req, params, 'r', context()).error, { code: 'MissingAuthenticationToken' });
  const signed = await request({ Action: 'Nope', Version: '2011-06-15' });
  const answer = dispatch(...signed, 'r', context());
  t.like(answer.error, { code: 'InvalidAction', status: 400 });
  t.truthy(answer.caller, 'the caller is known even though the action failed');
});

test('an outage and injected faults come before authentication', async (t) => {
  const [req, params] = await request({ Action: 'GetCallerIdentity', Version: '2011-06-15' }, false);
  t.like(dispatch(req, params, 'r', context({ unavailable: true })).error, { code: 'ServiceUnavailable', status: 503 });
  const faults = createFaultState();
  faults.controls.throttleNext(1);
  t.like(dispatch(req, params, 'r', context({ faults })).error, { code: 'Throttling', status: 400 });
  t.like(dispatch(req, params, 'r', context({ faults })).error, { code: 'MissingAuthenticationToken' });
});

test('an unexpected exception becomes an opaque InternalFailure', async (t) => {
  const store = createIdentityStore({ accountId: '123456789012', baseCredentials: [KEYS] });
  const broken = { ...store, find: () => { throw new Error('secret internal detail'); } };
  const answer = dispatch(...(await request({ Action: 'GetCallerIdentity', Version: '2011-06-15' })), 'r', context({ store: broken }));
  t.like(answer.error, { code: 'InternalFailure', status: 500, type: 'Receiver' });
  t.notRegex(answer.body, /secret internal detail/);
});
