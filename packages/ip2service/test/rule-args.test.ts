import test from 'ava';

import { formatRuleArgs, jumpTarget, splitRuleLine } from '../src/rule-args.js';

test('splits iptables -S lines, undoing quotes and escapes (as printed by iptables 1.8.9)', (t) => {
  t.deepEqual(splitRuleLine('-A PREROUTING -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -m comment --comment "a b \\"q\\"" -j ACCEPT'), [
    '-A', 'PREROUTING', '-d', '169.254.169.254/32', '-p', 'tcp', '-m', 'tcp', '--dport', '80', '-m', 'comment', '--comment', 'a b "q"', '-j', 'ACCEPT',
  ]);
  t.deepEqual(splitRuleLine('  -A X   -m comment --comment simple -j RETURN  '), ['-A', 'X', '-m', 'comment', '--comment', 'simple', '-j', 'RETURN']);
  t.deepEqual(splitRuleLine(''), []);
  t.throws(() => splitRuleLine('-A X --comment "open'), { message: /unterminated/ });
});

test('formats words so that splitting gives them back, quoting only when needed', (t) => {
  const words = ['-m', 'comment', '--comment', 'ns/svc:metadata -> 10.0.0.1:8181', '-j', 'X', '', 'back\\slash "q"'];
  const line = formatRuleArgs(words);
  t.is(line, '-m comment --comment "ns/svc:metadata -> 10.0.0.1:8181" -j X "" "back\\\\slash \\"q\\""');
  t.deepEqual(splitRuleLine(line), words);
});

test('jumpTarget reads -j and --jump', (t) => {
  t.is(jumpTarget(['-p', 'tcp', '-j', 'IP2SVC-FILTER']), 'IP2SVC-FILTER');
  t.is(jumpTarget(['--jump', 'RETURN']), 'RETURN');
  t.is(jumpTarget(['-p', 'tcp']), undefined);
});
