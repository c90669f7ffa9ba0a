import test from 'ava';
import { StringInterner } from '../../src/kube/string-interner.js';

test('equal strings share the first copy until the last reference is released', (t) => {
  const s = new StringInterner();
  const first = ['team', '-a'].join('');
  t.is(s.intern(first), first);
  t.is(s.intern('team-a'), first);
  t.is(s.size, 1);
  s.release('team-a');
  t.is(s.size, 1);
  s.release('team-a');
  t.is(s.size, 0);
  s.release('team-a');
  t.is(s.size, 0, 'an extra release is harmless');
});
