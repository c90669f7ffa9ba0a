import test from 'ava';
import { ConfigError } from '@iam4kube/shared';
import { parseServerArgs } from '../src/config.js';

const run = (args: string[]) => {
  const parsed = parseServerArgs(args, {});
  if (parsed.kind !== 'run') throw new Error('help');
  return parsed.values;
};

test('issue 9 flags: off by default', (t) => {
  const values = run([]);
  t.false(values.namespaceRestrictions);
  t.is(values.podRoleAnnotation, undefined);
  t.is(values.baseRoleArn, undefined);
});

test('--base-role-arn is validated at start-up with a one-line error', (t) => {
  t.is(run(['--base-role-arn=arn:aws:iam::123456789012:role']).baseRoleArn, 'arn:aws:iam::123456789012:role');
  const error = t.throws(() => run(['--base-role-arn=arn:aws:iam::1234:role/']), { instanceOf: ConfigError });
  t.regex(error!.message, /^--base-role-arn "arn:aws:iam::1234:role\/" is not arn:/);
  t.notRegex(error!.message, /\n/);
});

test('--pod-role-annotation must be an annotation key', (t) => {
  t.is(run(['--pod-role-annotation=iam.amazonaws.com/role']).podRoleAnnotation, 'iam.amazonaws.com/role');
  t.throws(() => run(['--pod-role-annotation=not a key']), { instanceOf: ConfigError });
});
