// The README and the docs link to files that exist, and to headings that exist in them (GitHub's anchors), so the
// install path a platform engineer follows has no dead end.
import test from 'ava';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { repoRoot } from '@iam4kube/testkit';

const root = repoRoot();
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's heading anchor: lower case, punctuation dropped (but `-` and `_`), spaces to hyphens, -1, -2 for repeats. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  const text = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const m of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = m[1]!.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    result.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return result;
}

/** Relative links of a page: [text](target) outside code blocks; absolute URLs are not followed. */
function links(markdown: string): string[] {
  const text = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z]+:/i.test(target));
}

test('the slugs follow GitHub', (t) => {
  t.deepEqual([...anchors('## 5. Apply\n### "My pod gets 404"\n## The server pods: `--exclude-server-pods`\n## Apply\n')], [
    '5-apply',
    'my-pod-gets-404',
    'the-server-pods---exclude-server-pods',
    'apply',
  ]);
});

for (const page of pages) {
  test(`${page}: every relative link resolves`, (t) => {
    const problems: string[] = [];
    for (const target of links(readFileSync(join(root, page), 'utf8'))) {
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const file = path === '' ? join(root, page) : join(root, dirname(page), path);
      if (!existsSync(file)) {
        problems.push(`${target}: ${relative(root, file)} does not exist`);
        continue;
      }
      if (anchor !== undefined && statSync(file).isFile() && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor)) {
        problems.push(`${target}: no heading #${anchor} in ${relative(root, file)}`);
      }
    }
    t.deepEqual(problems, []);
  });
}

test('the README keeps its two commands first and links every page of docs/', (t) => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)![1]!;
  t.deepEqual(firstBlock.trim().split('\n').map((l) => l.split('#')[0]!.trim()), ['npm ci && npm run demo', 'npm test']);
  t.true(readme.indexOf('```sh') < readme.indexOf('\n## '), 'the commands come before the first section');
  const linked = new Set(links(readme).map((l) => l.split('#')[0]));
  const missing = pages.filter((p) => p.startsWith('docs/') && !linked.has(p));
  t.deepEqual(missing, []);
});
