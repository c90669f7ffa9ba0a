import test from 'ava';
import { parseQueryParams, readStringList, readStructList } from '../../src/sts/query-params.js';

test('form decoding: + is a space, %2B a plus, the first occurrence wins across sources', (t) => {
  const params = parseQueryParams('Action=A&X=url', 'X=body&S=a+b%2Bc&E=');
  t.deepEqual([...params], [
    ['Action', 'A'],
    ['X', 'url'],
    ['S', 'a b+c'],
    ['E', ''],
  ]);
});

test('lists of strings and structures in numeric member order; a bare name is an empty list', (t) => {
  const params = parseQueryParams(
    'T.member.10=ten&T.member.2=two&Tags.member.2.Key=b&Tags.member.1.Key=a&Tags.member.1.Value=1&Empty=&Bad.member.x=1',
  );
  t.deepEqual(readStringList(params, 'T'), ['two', 'ten']);
  t.deepEqual(readStructList(params, 'Tags', ['Key', 'Value']), [
    { Key: 'a', Value: '1' },
    { Key: 'b', Value: undefined },
  ]);
  t.deepEqual(readStringList(params, 'Empty'), []);
  t.is(readStringList(params, 'Missing'), undefined);
  t.is(readStringList(params, 'Bad'), undefined);
});
