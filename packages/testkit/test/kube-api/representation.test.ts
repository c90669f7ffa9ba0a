import test from 'ava';
import { humanDuration } from '../../src/kube-api/representation.js';

test('ages read like kubectl AGE columns', (t) => {
  const s = 1000;
  const cases: [number, string][] = [
    [-5 * s, '<invalid>'],
    [-0.5 * s, '0s'],
    [59 * s, '59s'],
    [119 * s, '119s'],
    [125 * s, '2m5s'],
    [300 * s, '5m'],
    [45 * 60 * s, '45m'],
    [(3 * 60 + 20) * 60 * s, '3h20m'],
    [20 * 3600 * s, '20h'],
    [(3 * 24 + 5) * 3600 * s, '3d5h'],
    [30 * 24 * 3600 * s, '30d'],
    [(3 * 365 + 10) * 24 * 3600 * s, '3y10d'],
    [10 * 365 * 24 * 3600 * s, '10y'],
  ];
  for (const [ms, text] of cases) t.is(humanDuration(ms), text, `${ms} ms`);
});
