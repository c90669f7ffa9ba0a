import test from 'ava';
import { readFileSync } from 'node:fs';
import { renderConfigurationDoc } from '../../scripts/configuration-doc.js';

test('docs/configuration.md is generated from the flag definitions and up to date (npm run docs)', (t) => {
  const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  t.is(committed, renderConfigurationDoc());
});
