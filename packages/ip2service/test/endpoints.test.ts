import test from 'ava';

import type { EndpointLike, EndpointSelector, EndpointSliceLike } from '../src/endpoints.js';
import { selectEndpoints } from '../src/endpoints.js';

const SELECTOR: EndpointSelector = { namespace: 'iam4kube', serviceName: 'server', portName: 'metadata', family: 'IPv4' };

function slice(endpoints: EndpointLike[], overrides: Partial<EndpointSliceLike> = {}): EndpointSliceLike {
  return {
    addressType: 'IPv4',
    metadata: { namespace: 'iam4kube', labels: { 'kubernetes.io/service-name': 'server' } },
    ports: [
      { name: 'metrics', port: 9090, protocol: 'TCP' },
      { name: 'metadata', port: 8181, protocol: 'TCP' },
    ],
    endpoints,
    ...overrides,
  };
}

const ready = (ip: string): EndpointLike => ({ addresses: [ip], conditions: { ready: true, serving: true, terminating: false } });
const terminating = (ip: string, serving = true): EndpointLike => ({
  addresses: [ip],
  conditions: { ready: false, serving, terminating: true },
});
const starting = (ip: string): EndpointLike => ({ addresses: [ip], conditions: { ready: false, serving: false, terminating: false } });

test('ready endpoints of the named port, deduplicated across slices and sorted numerically', (t) => {
  const result = selectEndpoints(
    [slice([ready('10.0.0.10'), ready('10.0.0.2'), starting('10.0.0.3')]), slice([ready('10.0.0.2'), ready('10.0.0.9')])],
    SELECTOR,
  );
  t.deepEqual(result.backends, [
    { ip: '10.0.0.2', port: 8181 },
    { ip: '10.0.0.9', port: 8181 },
    { ip: '10.0.0.10', port: 8181 },
  ]);
  t.deepEqual(result.serverAddresses, ['10.0.0.2', '10.0.0.3', '10.0.0.9', '10.0.0.10']);
});

test('missing conditions mean ready, as the API documents', (t) => {
  const result = selectEndpoints([slice([{ addresses: ['10.0.0.1'] }])], SELECTOR);
  t.deepEqual(result.backends, [{ ip: '10.0.0.1', port: 8181 }]);
});

test('terminating endpoints are used only while no endpoint is ready, and only if still serving', (t) => {
  const rollout = [slice([terminating('10.0.0.1'), terminating('10.0.0.2', false), starting('10.0.0.3')])];
  t.deepEqual(selectEndpoints(rollout, SELECTOR).backends, [{ ip: '10.0.0.1', port: 8181 }]);
  const withReady = [...rollout, slice([ready('10.0.0.4')])];
  t.deepEqual(selectEndpoints(withReady, SELECTOR).backends, [{ ip: '10.0.0.4', port: 8181 }]);
  t.deepEqual(selectEndpoints(withReady, SELECTOR).serverAddresses, ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
});

test('no endpoints at all gives no backends (the rules then reject)', (t) => {
  t.deepEqual(selectEndpoints([], SELECTOR), { backends: [], serverAddresses: [] });
  t.deepEqual(selectEndpoints([slice([], { endpoints: null })], SELECTOR).backends, []);
  t.deepEqual(selectEndpoints([slice([starting('10.0.0.1')])], SELECTOR).backends, []);
});

test('slices of other services, namespaces and families are ignored', (t) => {
  const slices = [
    slice([ready('10.0.0.1')], { metadata: { namespace: 'other', labels: { 'kubernetes.io/service-name': 'server' } } }),
    slice([ready('10.0.0.2')], { metadata: { namespace: 'iam4kube', labels: { 'kubernetes.io/service-name': 'other' } } }),
    slice([ready('10.0.0.3')], { metadata: { namespace: 'iam4kube' } }),
    slice([ready('fd00::1')], { addressType: 'IPv6' }),
    slice([ready('10.0.0.4')]),
  ];
  t.deepEqual(selectEndpoints(slices, SELECTOR).backends, [{ ip: '10.0.0.4', port: 8181 }]);
});

test('the port is found by name in each slice; slices without it, with UDP or without a number give no backend', (t) => {
  const slices = [
    slice([ready('10.0.0.1')], { ports: [{ name: 'metadata', port: 9000, protocol: 'TCP' }] }),
    slice([ready('10.0.0.2')], { ports: [{ name: 'metrics', port: 9090 }] }),
    slice([ready('10.0.0.3')], { ports: [{ name: 'metadata', port: 8181, protocol: 'UDP' }] }),
    slice([ready('10.0.0.4')], { ports: [{ name: 'metadata' }] }),
    slice([ready('10.0.0.5')], { ports: null }),
  ];
  const result = selectEndpoints(slices, SELECTOR);
  t.deepEqual(result.backends, [{ ip: '10.0.0.1', port: 9000 }]);
  // They are still server pods.
  t.deepEqual(result.serverAddresses, ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5']);
});

test('an unnamed port is selected with the empty name; a missing protocol means TCP', (t) => {
  const result = selectEndpoints([slice([ready('10.0.0.1')], { ports: [{ port: 8181 }] })], { ...SELECTOR, portName: '' });
  t.deepEqual(result.backends, [{ ip: '10.0.0.1', port: 8181 }]);
});

test('the family is a parameter: IPv6 slices for IPv6, addresses of the other family dropped', (t) => {
  const result = selectEndpoints(
    [slice([ready('fd00::10'), ready('fd00::9'), ready('10.0.0.1')], { addressType: 'IPv6' }), slice([ready('10.0.0.2')])],
    { ...SELECTOR, family: 'IPv6' },
  );
  t.deepEqual(result.backends, [
    { ip: 'fd00::9', port: 8181 },
    { ip: 'fd00::10', port: 8181 },
  ]);
});
