/**
 * Run by iptables-netns.test.ts as root inside a fresh network (and mount) namespace: drives the real iptables
 * through the CLI adapter and prints what it saw as one JSON object. Refuses to touch iptables unless the namespace
 * holds only `lo`, so it can never change the rules of a real host.
 */
import { readFileSync, readdirSync } from 'node:fs';

import { createDesiredState } from '../../src/desired-state.js';
import type { Backend } from '../../src/endpoints.js';
import { createSpawnExec } from '../../src/exec.js';
import type { IptablesMode } from '../../src/iptables-cli.js';
import { createIptablesCli, detectIptablesMode } from '../../src/iptables-cli.js';
import { IptablesError } from '../../src/iptables.js';
import { createSyncer } from '../../src/syncer.js';

const sysInterfaces = readdirSync('/sys/class/net');
const procInterfaces = readFileSync('/proc/self/net/dev', 'utf8')
  .split('\n')
  .slice(2)
  .map((l) => l.split(':')[0]!.trim())
  .filter((name) => name !== '');
if (sysInterfaces.join() !== 'lo' || procInterfaces.join() !== 'lo') {
  process.stderr.write(`refusing to touch iptables: interfaces ${sysInterfaces.join()} / ${procInterfaces.join()}, expected only lo\n`);
  process.exit(3);
}

const exec = createSpawnExec({ timeoutMs: 20_000 });

async function sh(file: string, ...args: string[]): Promise<string> {
  const result = await exec(file, args);
  if (result.code !== 0) throw new Error(`${file} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

function state(backends: Backend[]) {
  return createDesiredState({
    family: 'IPv4',
    service: 'iam4kube/server:metadata',
    metadataAddress: '169.254.169.254',
    metadataPort: 80,
    backends,
    excludedSources: ['10.0.0.9'],
  });
}

async function scenario(mode: IptablesMode): Promise<Record<string, unknown>> {
  const bin = `iptables-${mode}`;
  const iptables = createIptablesCli({ exec, family: 'IPv4', mode });
  // Other owners' rules, as kube-proxy leaves a node.
  await sh(bin, '-w', '-t', 'filter', '-N', 'KUBE-FORWARD');
  await sh(bin, '-w', '-t', 'filter', '-A', 'FORWARD', '-j', 'KUBE-FORWARD');
  await sh(bin, '-w', '-t', 'nat', '-N', 'KUBE-SERVICES');
  await sh(bin, '-w', '-t', 'nat', '-A', 'PREROUTING', '-j', 'KUBE-SERVICES');
  // iptables-save without its '# Generated ... on <date>' lines.
  const save = async (): Promise<string> => (await sh(`${bin}-save`)).split('\n').filter((l) => !l.startsWith('#')).join('\n');
  const pristine = await save();

  let desired = state([
    { ip: '10.0.0.1', port: 8181 },
    { ip: '10.0.0.2', port: 8181 },
    { ip: '10.0.0.10', port: 8181 },
  ]);
  const syncer = createSyncer({ iptables, desiredState: () => desired });
  const out: Record<string, unknown> = {};
  out.first = await syncer.sync();
  out.steady = await syncer.sync();
  out.afterFirst = {
    FORWARD: await iptables.listRules('filter', 'FORWARD'),
    INPUT: await iptables.listRules('filter', 'INPUT'),
    PREROUTING: await iptables.listRules('nat', 'PREROUTING'),
    'IP2SVC-FILTER': await iptables.listRules('filter', 'IP2SVC-FILTER'),
    'IP2SVC-PREROUTING': await iptables.listRules('nat', 'IP2SVC-PREROUTING'),
    natChains: await iptables.listChains('nat'),
  };
  await sh(bin, '-w', '-t', 'filter', '-I', 'FORWARD', '1', '-j', 'ACCEPT');
  out.afterInsert = await syncer.sync();
  out.forwardAfterInsert = await iptables.listRules('filter', 'FORWARD');
  desired = state([{ ip: '10.0.0.3', port: 8181 }]);
  out.afterChange = await syncer.sync();
  out.natChainsAfterChange = await iptables.listChains('nat');
  await sh(bin, '-w', '-t', 'nat', '-F');
  await sh(bin, '-w', '-t', 'nat', '-A', 'PREROUTING', '-j', 'KUBE-SERVICES'); // kube-proxy puts its own back
  out.afterFlush = await syncer.sync();
  out.preroutingAfterFlush = await iptables.listRules('nat', 'PREROUTING');
  out.sepAfterFlush = await iptables.listRules('nat', 'IP2SVC-SEP-GJRWVZDEK5OTNN3P');
  try {
    await iptables.restore('*nat\n:IP2SVC-PREROUTING - [0:0]\n-A IP2SVC-PREROUTING -j IP2SVC-NOPE\nCOMMIT\n', { noflush: true });
    out.badRestore = 'accepted';
  } catch (error) {
    out.badRestore = error instanceof IptablesError ? { line: error.line, context: error.context } : String(error);
  }
  await sh(bin, '-w', '-t', 'filter', '-D', 'FORWARD', '-j', 'ACCEPT');
  await syncer.cleanup();
  const after = await save();
  out.cleanedUp = after === pristine ? true : after;
  return out;
}

const result = {
  interfaces: sysInterfaces,
  detectedFresh: await detectIptablesMode(exec),
  nft: await scenario('nft'),
  legacy: await scenario('legacy'),
  detectedAfterLegacyRules: undefined as string | undefined,
};
for (let i = 0; i < 10; i++) await sh('iptables-legacy', '-w', '-A', 'INPUT', '-j', 'ACCEPT');
result.detectedAfterLegacyRules = await detectIptablesMode(exec);
process.stdout.write(JSON.stringify(result));
