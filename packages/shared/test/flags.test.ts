import test from 'ava';
import { ConfigError } from '../src/errors.js';
import { boolFlag, durationFlag, enumFlag, helpText, intFlag, optionalStringFlag, parseFlags, stringFlag } from '../src/flags.js';

const specs = {
  name: stringFlag({ description: 'A name.', env: 'T_NAME', default: 'x' }),
  port: intFlag({ description: 'A port.', env: 'T_PORT', default: 80, min: 0, max: 65535 }),
  wait: durationFlag({ description: 'A wait.', default: 15_000, min: 0 }),
  verbose: boolFlag({ description: 'Chatty.', default: false }),
  mode: enumFlag({ description: 'Mode.', default: 'auto', values: ['auto', 'nft', 'legacy'] as const }),
  file: optionalStringFlag({ description: 'A file.' }),
};

test('defaults, then environment, then argv', (t) => {
  const r = parseFlags(specs, ['--port', '8080', '--wait=1m30s', '--verbose'], { env: { T_NAME: 'from-env', T_PORT: '1' } });
  t.is(r.kind, 'run');
  if (r.kind !== 'run') return;
  t.deepEqual(r.values, { name: 'from-env', port: 8080, wait: 90_000, verbose: true, mode: 'auto', file: undefined });
});

test('--help wins', (t) => {
  t.is(parseFlags(specs, ['--port=bad', '--help']).kind, 'help');
});

const errors: Array<[string[], Record<string, string>, RegExp]> = [
  [['--nope'], {}, /unknown flag --nope/],
  [['--port'], {}, /--port needs a value/],
  [['--port=70000'], {}, /--port: 70000 is above the maximum 65535/],
  [['--port=8o'], {}, /--port: "8o" is not an integer/],
  [[], { T_PORT: 'x' }, /invalid value for T_PORT/],
  [['--wait=10'], {}, /not a duration/],
  [['--mode=iptables'], {}, /not one of auto, nft, legacy/],
  [['--verbose=maybe'], {}, /not a boolean/],
  [['stray'], {}, /unexpected argument "stray"/],
];
for (const [argv, env, message] of errors) {
  test(`rejects ${argv.join(' ') || JSON.stringify(env)}`, (t) => {
    const err = t.throws(() => parseFlags(specs, argv, { env }), { instanceOf: ConfigError });
    t.regex(err!.message, message);
  });
}

test('positionals are allowed when asked for', (t) => {
  const r = parseFlags(specs, ['cleanup', '--verbose'], { maxPositionals: 1 });
  t.like(r, { kind: 'run', positionals: ['cleanup'] });
});

test('help lists every flag with its environment variable and default', (t) => {
  const text = helpText(specs, 'Usage: x');
  for (const s of ['--name <string>', 'env T_NAME', '--port <int>', 'default 80', '--wait <duration>', 'default 15s', '--verbose', '--mode <auto|nft|legacy>', '--file <string>']) {
    t.true(text.includes(s), s);
  }
});
