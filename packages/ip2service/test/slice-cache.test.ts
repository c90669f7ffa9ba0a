import test from 'ava';

import type { KubeObject } from '@iam4kube/shared';

import { selectEndpoints, type EndpointSelector } from '../src/endpoints.js';
import { EndpointSliceCache } from '../src/slice-cache.js';

const selector: EndpointSelector = { namespace: 'iam4kube', serviceName: 'iam4kube-server', portName: 'metadata', family: 'IPv4' };

function slice(name: string, ips: string[], extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'iam4kube', resourceVersion: '1', labels: { 'kubernetes.io/service-name': 'iam4kube-server', 'endpointslice.kubernetes.io/managed-by': 'x' } },
    addressType: 'IPv4',
    ports: [{ name: 'metadata', port: 8181, protocol: 'TCP' }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, nodeName: 'n1' })),
    ...extra,
  };
}

function harness(): { cache: EndpointSliceCache; changes: () => number; backends: () => string[] } {
  let changes = 0;
  const cache = new EndpointSliceCache({ onChange: () => changes++ });
  return {
    cache,
    changes: () => changes,
    backends: () => selectEndpoints(cache.slices(), selector).backends.map((b) => `${b.ip}:${b.port}`),
  };
}

test('replace, add, modify and delete feed selectEndpoints, one change notice each', (t) => {
  const h = harness();
  h.cache.replace([slice('a', ['10.0.0.2']), slice('b', ['10.0.0.1'])]);
  t.is(h.changes(), 1, 'one notice for the whole list');
  t.is(h.cache.size, 2);
  t.deepEqual(h.backends(), ['10.0.0.1:8181', '10.0.0.2:8181']);
  h.cache.apply('ADDED', slice('c', ['10.0.0.3']));
  h.cache.apply('MODIFIED', slice('a', []));
  t.deepEqual(h.backends(), ['10.0.0.1:8181', '10.0.0.3:8181']);
  h.cache.apply('DELETED', slice('b', ['10.0.0.1']));
  t.deepEqual(h.backends(), ['10.0.0.3:8181']);
  t.is(h.changes(), 4);
});

test('a relist drops the slices that are gone', (t) => {
  const h = harness();
  h.cache.replace([slice('a', ['10.0.0.1']), slice('b', ['10.0.0.2'])]);
  h.cache.replace([slice('b', ['10.0.0.2'])]);
  t.is(h.changes(), 2);
  t.deepEqual(h.backends(), ['10.0.0.2:8181']);
  h.cache.replace([]);
  t.deepEqual(h.backends(), []);
  t.is(h.cache.size, 0);
});

test('changes that cannot move traffic do not ask for a sync', (t) => {
  const h = harness();
  h.cache.replace([slice('a', ['10.0.0.1'])]);
  // A resync that repeats what we have, a new resourceVersion, managedFields, topology hints, another label.
  h.cache.replace([slice('a', ['10.0.0.1'])]);
  const noisy = slice('a', ['10.0.0.1'], { endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true }, hints: { forZones: [{ name: 'z' }] }, zone: 'z' }] });
  const metadata = { ...noisy.metadata, resourceVersion: '9', managedFields: [{}], labels: { ...noisy.metadata!.labels, extra: 'y' } };
  h.cache.apply('MODIFIED', { ...noisy, metadata });
  h.cache.apply('DELETED', slice('never-seen', ['10.0.0.9']));
  t.is(h.changes(), 1);
});

test('conditions are kept as sent: a missing one stays missing and gets the API default', (t) => {
  const h = harness();
  h.cache.replace([
    slice('a', [], {
      endpoints: [
        { addresses: ['10.0.0.1'] }, // no conditions at all: ready
        { addresses: ['10.0.0.2'], conditions: { ready: false } },
        { addresses: ['10.0.0.3'], conditions: { ready: null, serving: true, terminating: true } },
      ],
    }),
  ]);
  const selection = selectEndpoints(h.cache.slices(), selector);
  // Missing and null conditions mean ready (the API's documented default, as kube-proxy reads it).
  t.deepEqual(
    selection.backends.map((b) => b.ip),
    ['10.0.0.1', '10.0.0.3'],
  );
  t.deepEqual(selection.serverAddresses, ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
  t.is(h.changes(), 1);
  h.cache.apply('MODIFIED', slice('a', [], { endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true } }] }));
  t.is(h.changes(), 2, 'an explicit ready: true differs from a missing one in what was sent');
});

test('slices of other Services stay out of the selection; null lists are empty', (t) => {
  const h = harness();
  const other = slice('o', ['10.9.9.9']);
  h.cache.replace([
    { ...other, metadata: { ...other.metadata, labels: { 'kubernetes.io/service-name': 'other' } } },
    slice('n', [], { endpoints: null, ports: null }),
    slice('a', ['10.0.0.1']),
  ]);
  t.deepEqual(h.backends(), ['10.0.0.1:8181']);
  t.is(h.cache.size, 3);
});
