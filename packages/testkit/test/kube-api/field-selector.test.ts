import test from 'ava';
import { FieldSelectorError, matchesFields, parseFieldSelector } from '../../src/kube-api/field-selector.js';

const pod: Record<string, string> = { 'metadata.name': 'app', 'spec.nodeName': 'node-1', 'status.phase': 'Running' };
const read = (field: string): string => pod[field] ?? '';

test('=, == and != are ANDed', (t) => {
  t.true(matchesFields(parseFieldSelector('spec.nodeName=node-1'), read));
  t.true(matchesFields(parseFieldSelector('spec.nodeName==node-1,status.phase!=Pending'), read));
  t.false(matchesFields(parseFieldSelector('spec.nodeName=node-1,status.phase!=Running'), read));
  t.true(matchesFields(parseFieldSelector('status.phase!=Succeeded,status.phase!=Failed'), read));
  t.true(matchesFields(parseFieldSelector('status.podIP='), read), 'empty value matches a missing field');
  t.true(matchesFields(parseFieldSelector(''), read));
});

test('parses requirements and escapes', (t) => {
  t.deepEqual(parseFieldSelector('a=b,c!=d'), [
    { field: 'a', operator: '=', value: 'b' },
    { field: 'c', operator: '!=', value: 'd' },
  ]);
  t.deepEqual(parseFieldSelector('a=x\\,y\\=z'), [{ field: 'a', operator: '=', value: 'x,y=z' }]);
});

test('rejects terms without an operator', (t) => {
  t.throws(() => parseFieldSelector('spec.nodeName'), { instanceOf: FieldSelectorError });
  t.throws(() => parseFieldSelector('a=b,c'), { instanceOf: FieldSelectorError });
});
