import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, normalize } from 'node:path';

import { describeFlags } from '@iam4kube/shared';
import { serverFlags } from '@iam4kube/server';
import { ip2serviceFlags } from '@iam4kube/ip2service';

// docs/migration.md names our flags, manifests and other docs' sections; a rename anywhere must fail here rather
// than leave the migration guide pointing at something that does not exist.

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const docPath = join(root, 'docs', 'migration.md');
const doc = readFileSync(docPath, 'utf8');

const ourFlags = new Set(['--help', ...describeFlags(serverFlags).map((r) => r.flag), ...describeFlags(ip2serviceFlags).map((r) => r.flag)]);

/** Splits a Markdown table row into its cells, honouring `\|` inside a cell. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** The last cell of every body row of every table whose header's last cell is "iam4kube": what we map things to. */
function iam4kubeColumn(markdown: string): string[] {
  const lines = markdown.split('\n');
  const out: string[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    const header = lines[i]!;
    if (!header.trimStart().startsWith('|') || !/^\s*\|[-| :]+\|\s*$/.test(lines[i + 1]!)) continue;
    if (cells(header).at(-1) !== 'iam4kube') continue;
    for (let j = i + 2; j < lines.length && lines[j]!.trimStart().startsWith('|'); j++) out.push(cells(lines[j]!).at(-1)!);
  }
  return out;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6} (.+)$/gm)) {
    out.add(
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    );
  }
  return out;
}

test('the mapping tables exist and every iam4kube flag they name is a real server or ip2service flag', (t) => {
  const column = iam4kubeColumn(doc);
  t.true(column.length >= 40, `expected the comparison and mapping tables, found ${column.length} rows`);
  const named = new Set(column.flatMap((cell) => [...cell.matchAll(/`(--[a-z0-9-]+)/g)].map((m) => m[1]!)));
  t.true(named.size >= 20, `expected many of our flags to be named, found ${[...named].join(' ')}`);
  const unknown = [...named].filter((flag) => !ourFlags.has(flag)).sort();
  t.deepEqual(unknown, [], `flags named in the iam4kube column that neither binary has: ${unknown.join(' ')}`);
});

test('the table parser reads a column of flags and would catch a flag we do not have', (t) => {
  const sample = ['| theirs | there | iam4kube |', '|---|---|---|', '| `--x` | y | `--log-level`, `--no-such-flag` (a \\| b) |'].join('\n');
  const column = iam4kubeColumn(sample);
  t.deepEqual(column, ['`--log-level`, `--no-such-flag` (a \\| b)']);
  t.true(ourFlags.has('--log-level'));
  t.false(ourFlags.has('--no-such-flag'));
});

test('every manifests/ path the guide names exists in the repository', (t) => {
  const paths = new Set([...doc.matchAll(/`(manifests\/[\w./-]+)`/g)].map((m) => m[1]!));
  for (const m of doc.matchAll(/\]\(\.\.\/(manifests\/[^)#\s]+)\)/g)) paths.add(m[1]!);
  t.true(paths.size >= 3);
  const missing = [...paths].filter((p) => !existsSync(join(root, p)));
  t.deepEqual(missing, []);
});

test('every relative link resolves to an existing file and heading', (t) => {
  const links = [...doc.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((href) => !/^[a-z]+:/.test(href));
  t.true(links.length >= 10);
  const problems: string[] = [];
  for (const href of links) {
    const [file, anchor] = href.split('#') as [string, string | undefined];
    const target = file === '' ? docPath : normalize(join(dirname(docPath), file));
    if (!existsSync(target)) {
      problems.push(`${href}: no such file`);
      continue;
    }
    if (anchor !== undefined && !anchors(readFileSync(target, 'utf8')).has(anchor)) problems.push(`${href}: no such heading`);
  }
  t.deepEqual(problems, []);
});
