import test from 'ava';
import { negotiate } from '../../src/kube-api/media.js';

test('the first acceptable media type wins', (t) => {
  t.deepEqual(negotiate('application/json;as=Table;v=v1;g=meta.k8s.io,application/json', 'list'), { as: 'Table', version: 'v1' });
  t.deepEqual(negotiate('application/json,application/json;as=Table;v=v1;g=meta.k8s.io', 'list'), { as: 'object' });
  t.deepEqual(negotiate('application/vnd.kubernetes.protobuf,application/json', 'get'), { as: 'object' });
  t.deepEqual(negotiate('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', 'list'), { as: 'PartialObjectMetadata', version: 'v1' });
  t.deepEqual(negotiate(undefined, 'get'), { as: 'object' });
  t.deepEqual(negotiate('*/*', 'get'), { as: 'object' });
  t.deepEqual(negotiate('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json', 'discovery'), {
    as: 'APIGroupDiscoveryList',
    version: 'v2',
  });
});

test('nothing acceptable is 406', (t) => {
  t.throws(() => negotiate('application/vnd.kubernetes.protobuf', 'get'), { message: /unable to respond with a content type/ });
  t.throws(() => negotiate('application/json;as=Table;v=v9;g=meta.k8s.io', 'list'));
  t.throws(() => negotiate('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', 'get'));
});
