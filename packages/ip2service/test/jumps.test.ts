import test from 'ava';

import { ensureJumpFirst, removeOwnJumps } from '../src/jumps.js';
import type { JumpRule } from '../src/render.js';
import { FakeIptables } from './fake-iptables.js';

const MATCH = ['-d', '169.254.169.254/32', '-p', 'tcp', '-m', 'tcp', '--dport', '80'];
const JUMP: JumpRule = { table: 'filter', chain: 'FORWARD', args: [...MATCH, '-j', 'IP2SVC-FILTER'] };

function withOurChain(): FakeIptables {
  const fake = new FakeIptables();
  fake.run('filter', '-N IP2SVC-FILTER');
  fake.run('filter', '-N KUBE-FORWARD');
  return fake;
}

test('inserts the jump at position 1, above existing rules', async (t) => {
  const fake = withOurChain();
  fake.run('filter', '-A FORWARD -j KUBE-FORWARD');
  t.true(await ensureJumpFirst(fake, JUMP));
  t.deepEqual(fake.rules('filter', 'FORWARD'), [JUMP.args, ['-j', 'KUBE-FORWARD']]);
});

test('a jump already first is left alone: no write at all', async (t) => {
  const fake = withOurChain();
  fake.run('filter', '-A FORWARD -j KUBE-FORWARD');
  await ensureJumpFirst(fake, JUMP);
  const writes = fake.writes.length;
  t.false(await ensureJumpFirst(fake, JUMP));
  t.is(fake.writes.length, writes);
});

test('moved back to position 1 after someone inserts a rule above it, without duplicating it', async (t) => {
  const fake = withOurChain();
  await ensureJumpFirst(fake, JUMP);
  fake.run('filter', '-I FORWARD 1 -j KUBE-FORWARD');
  t.true(await ensureJumpFirst(fake, JUMP));
  t.deepEqual(fake.rules('filter', 'FORWARD'), [JUMP.args, ['-j', 'KUBE-FORWARD']]);
});

test('duplicates are removed', async (t) => {
  const fake = withOurChain();
  fake.run('filter', `-A FORWARD ${JUMP.args.join(' ')}`);
  fake.run('filter', '-A FORWARD -j KUBE-FORWARD');
  fake.run('filter', `-A FORWARD ${JUMP.args.join(' ')}`);
  t.true(await ensureJumpFirst(fake, JUMP));
  t.deepEqual(fake.rules('filter', 'FORWARD'), [JUMP.args, ['-j', 'KUBE-FORWARD']]);
});

test('an outdated variant of our jump (another port) is replaced, the new one inserted before the old one goes', async (t) => {
  const fake = withOurChain();
  fake.run('filter', '-A FORWARD -d 169.254.169.254/32 -p tcp -m tcp --dport 8080 -j IP2SVC-FILTER');
  fake.run('filter', '-A FORWARD -j KUBE-FORWARD');
  t.true(await ensureJumpFirst(fake, JUMP));
  t.deepEqual(fake.rules('filter', 'FORWARD'), [JUMP.args, ['-j', 'KUBE-FORWARD']]);
  t.regex(fake.writes.at(-2)!, /^filter -I FORWARD 1 /, 'inserted first');
  t.regex(fake.writes.at(-1)!, /^filter -D FORWARD .*--dport 8080/, 'then the old one deleted');
});

test('refuses to add a jump to a chain that is not ours', async (t) => {
  const fake = withOurChain();
  await t.throwsAsync(ensureJumpFirst(fake, { ...JUMP, args: [...MATCH, '-j', 'KUBE-FORWARD'] }), { message: /not a jump to one of our chains/ });
});

test('fails like iptables when our chain does not exist yet', async (t) => {
  const fake = new FakeIptables();
  await t.throwsAsync(ensureJumpFirst(fake, JUMP), { message: /does not exist/ });
});

test('removeOwnJumps deletes only rules that jump to our chains, from every built-in chain', async (t) => {
  const fake = withOurChain();
  fake.run('nat', '-N IP2SVC-PREROUTING');
  fake.run('filter', `-A FORWARD ${JUMP.args.join(' ')}`);
  fake.run('filter', '-A FORWARD -j KUBE-FORWARD');
  fake.run('filter', '-A INPUT -j IP2SVC-FILTER');
  fake.run('filter', '-A OUTPUT -j IP2SVC-FILTER');
  fake.run('filter', '-A KUBE-FORWARD -j IP2SVC-FILTER');
  fake.run('nat', '-A PREROUTING -j IP2SVC-PREROUTING');
  fake.run('nat', '-A PREROUTING -j RETURN');
  t.is(await removeOwnJumps(fake), 4);
  t.deepEqual(fake.rules('filter', 'FORWARD'), [['-j', 'KUBE-FORWARD']]);
  t.deepEqual(fake.rules('filter', 'INPUT'), []);
  t.deepEqual(fake.rules('filter', 'OUTPUT'), []);
  t.deepEqual(fake.rules('filter', 'KUBE-FORWARD'), [['-j', 'IP2SVC-FILTER']], 'not a built-in chain: not ours to edit');
  t.deepEqual(fake.rules('nat', 'PREROUTING'), [['-j', 'RETURN']]);
});
