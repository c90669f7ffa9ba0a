import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { createDesiredState } from '../src/desired-state.js';
import { jumpRules, renderRestore } from '../src/render.js';
import { splitRuleLine } from '../src/rule-args.js';

/**
 * The CLI adapter and the syncer against the real iptables (nft and legacy backends), in a fresh network namespace
 * made for this test (`unshare --net --mount`, with /sys remounted so /sys/class/net shows the new namespace): the
 * probe checks it sees only `lo` before touching anything. Needs root, unshare and iptables; skipped otherwise.
 */
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const probe = fileURLToPath(new URL('./netns/iptables-probe.ts', import.meta.url));

function available(): boolean {
  if (process.getuid?.() !== 0) return false;
  return ['unshare', 'iptables-nft-restore', 'iptables-legacy-restore'].every(
    (bin) => spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0,
  );
}

function runProbe(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'unshare',
      ['--net', '--mount', '--propagation', 'private', 'sh', '-c', 'mount -t sysfs sysfs /sys && exec "$0" --import=tsx "$1"', process.execPath, probe],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The probe's state (see iptables-probe.ts), rendered here to compare with what the kernel gave back. */
const desired = createDesiredState({
  family: 'IPv4',
  service: 'iam4kube/server:metadata',
  metadataAddress: '169.254.169.254',
  metadataPort: 80,
  backends: [
    { ip: '10.0.0.1', port: 8181 },
    { ip: '10.0.0.2', port: 8181 },
    { ip: '10.0.0.10', port: 8181 },
  ],
  excludedSources: ['10.0.0.9'],
});

function renderedChain(table: string, chain: string): string[][] {
  const text = renderRestore(desired);
  const section = text.slice(text.indexOf(`*${table}`));
  return section
    .slice(0, section.indexOf('COMMIT'))
    .split('\n')
    .filter((l) => l.startsWith(`-A ${chain} `))
    .map((l) => splitRuleLine(l).slice(2));
}

/** iptables prints probabilities with more digits than we write (0.3333333333 → 0.33333333349). */
function roundProbabilities(rules: string[][]): string[][] {
  return rules.map((rule) => rule.map((word, i) => (rule[i - 1] === '--probability' ? Number(word).toFixed(9) : word)));
}

const probeTest = available() ? test : test.skip;

probeTest('real iptables: install, steady state, repairs, stale chains, errors and cleanup (nft and legacy)', async (t) => {
  const { code, stdout, stderr } = await runProbe();
  t.is(code, 0, stderr);
  const result = JSON.parse(stdout) as Record<string, any>;
  t.deepEqual(result.interfaces, ['lo']);
  t.is(result.detectedFresh, 'nft', 'no rules anywhere: nft');
  t.is(result.detectedAfterLegacyRules, 'legacy', '10 legacy rules: legacy');
  const [forward, input, prerouting] = jumpRules(desired);
  for (const mode of ['nft', 'legacy']) {
    const r = result[mode];
    t.deepEqual(r.first, { backends: 3, staleChainsDeleted: 0, jumpsRepaired: 3 }, mode);
    // Read back word for word: our jump rules are in the form iptables prints, so a steady sync writes no jump.
    t.deepEqual(r.afterFirst.FORWARD, [forward!.args, ['-j', 'KUBE-FORWARD']], mode);
    t.deepEqual(r.afterFirst.INPUT, [input!.args], mode);
    t.deepEqual(r.afterFirst.PREROUTING, [prerouting!.args, ['-j', 'KUBE-SERVICES']], mode);
    t.deepEqual(r.steady, { backends: 3, staleChainsDeleted: 0, jumpsRepaired: 0 }, mode);
    t.deepEqual(r.afterFirst['IP2SVC-FILTER'], renderedChain('filter', 'IP2SVC-FILTER'), mode);
    t.deepEqual(roundProbabilities(r.afterFirst['IP2SVC-PREROUTING']), roundProbabilities(renderedChain('nat', 'IP2SVC-PREROUTING')), mode);
    t.deepEqual(
      r.afterFirst.natChains.filter((c: string) => c.startsWith('IP2SVC-')).sort(),
      ['IP2SVC-PREROUTING', 'IP2SVC-SEP-26PNSBEEDDFR6ZYT', 'IP2SVC-SEP-RKFPQSCNZLADMTD2', 'IP2SVC-SEP-VYKPORXNC7K767F5'],
      mode,
    );
    t.is(r.afterInsert.jumpsRepaired, 1, mode);
    t.deepEqual(r.forwardAfterInsert, [forward!.args, ['-j', 'ACCEPT'], ['-j', 'KUBE-FORWARD']], mode);
    t.deepEqual(r.afterChange, { backends: 1, staleChainsDeleted: 3, jumpsRepaired: 0 }, mode);
    t.deepEqual(
      r.natChainsAfterChange.filter((c: string) => c.startsWith('IP2SVC-')),
      ['IP2SVC-PREROUTING', 'IP2SVC-SEP-GJRWVZDEK5OTNN3P'],
      mode,
    );
    t.is(r.afterFlush.jumpsRepaired, 1, mode);
    t.deepEqual(r.preroutingAfterFlush, [prerouting!.args, ['-j', 'KUBE-SERVICES']], mode);
    t.deepEqual(r.sepAfterFlush, [['-p', 'tcp', '-m', 'comment', '--comment', 'iam4kube/server:metadata -> 10.0.0.3:8181', '-j', 'DNAT', '--to-destination', '10.0.0.3:8181']], mode);
    // legacy blames the bad line, nft the COMMIT after it; either way the context shows the bad line.
    t.regex(r.badRestore.context, /-A IP2SVC-PREROUTING -j IP2SVC-NOPE/, mode);
    t.true([3, 4].includes(r.badRestore.line), mode);
    t.is(r.cleanedUp, true, mode);
  }
});
