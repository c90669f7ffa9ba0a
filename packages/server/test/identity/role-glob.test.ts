import test from 'ava';
import { globMatch } from '../../src/identity/role-glob.js';

const ROLE = 'arn:aws:iam::123456789012:role/';

// kube2iam's README examples (allowed-roles entries) and go-glob's own rules: `*` is the only special character.
const cases: ReadonlyArray<readonly [pattern: string, subject: string, expected: boolean]> = [
  [`${ROLE}my-custom-path/*`, `${ROLE}my-custom-path/my-role`, true],
  [`${ROLE}my-custom-path/*`, `${ROLE}my-custom-path/deeper/my-role`, true], // `*` crosses `/`
  [`${ROLE}my-custom-path/*`, `${ROLE}other-path/my-role`, false],
  [`${ROLE}*`, `${ROLE}anything/at/all`, true],
  ['*', `${ROLE}x`, true],
  [`${ROLE}app-*-reader`, `${ROLE}app-billing-reader`, true],
  [`${ROLE}app-*-reader`, `${ROLE}app--reader`, true], // the empty run
  [`${ROLE}app-*-reader`, `${ROLE}app-billing-writer`, false],
  [`${ROLE}app-*-reader`, `${ROLE}app-`, false], // go-glob says true (its prefix and suffix may overlap): we do not
  [`${ROLE}a*b*c`, `${ROLE}abc`, true],
  [`${ROLE}a*b*c`, `${ROLE}acb`, false],
  [`${ROLE}a*a`, `${ROLE}a`, false],
  [`${ROLE}exact`, `${ROLE}exact`, true],
  [`${ROLE}exact`, `${ROLE}exactly`, false],
  [`${ROLE}Exact`, `${ROLE}exact`, false], // case-sensitive
  [`${ROLE}app?`, `${ROLE}app1`, false], // `?` is literal
  [`${ROLE}app.*`, `${ROLE}appx`, false], // `.` is literal: this is not a regular expression
  [`${ROLE}app.*`, `${ROLE}app.x`, true],
  ['', '', true],
  ['', 'x', false],
];

for (const [pattern, subject, expected] of cases) {
  test(`glob ${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(subject)}`, (t) => {
    t.is(globMatch(pattern, subject), expected);
  });
}

test('many stars against a long subject answer at once (no backtracking)', (t) => {
  const pattern = `${'*a'.repeat(30)}*b`;
  const started = process.hrtime.bigint();
  t.false(globMatch(pattern, 'a'.repeat(2000)));
  t.true(process.hrtime.bigint() - started < 50_000_000n);
});
