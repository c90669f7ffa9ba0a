import test from 'ava';
import { Writable } from 'node:stream';
import { createLogger } from '../src/logger.js';

function capture(level: 'debug' | 'info' = 'debug') {
  const lines: string[] = [];
  const logger = createLogger({ level, base: { app: 'test' }, stream: new Writable({ write: (c, _e, cb) => { lines.push(String(c)); cb(); } }) });
  return { logger, lines };
}

test('secrets are redacted at the top level and one level down, whatever the casing the AWS APIs use', (t) => {
  const { logger, lines } = capture();
  logger.info({ SecretAccessKey: 's1', Token: 's2', sessionToken: 's3', tokenKey: 's4' }, 'top');
  logger.info({ credentials: { SecretAccessKey: 's5', SessionToken: 's6', secretAccessKey: 's7', token: 's8' } }, 'nested');
  logger.info({ req: { headers: { 'x-aws-ec2-metadata-token': 's9', authorization: 's10' } } }, 'headers');
  const all = lines.join('');
  for (let i = 1; i <= 10; i++) t.false(new RegExp(`"s${i}"`).test(all), `s${i}`);
  t.is((all.match(/\[REDACTED\]/g) ?? []).length, 10);
});

test('lines are JSON with the level as a word, an ISO time and the base fields', (t) => {
  const { logger, lines } = capture();
  logger.warn({ n: 1 }, 'hello');
  const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
  t.like(entry, { level: 'warn', app: 'test', n: 1, msg: 'hello' });
  t.regex(String(entry.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test('disabled levels write nothing', (t) => {
  const { logger, lines } = capture('info');
  logger.debug('hidden');
  t.false(logger.isLevelEnabled('debug'));
  t.deepEqual(lines, []);
});
