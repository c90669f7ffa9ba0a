// The capabilities the DaemonSet gives ip2service are enough for what it does to the node, with either iptables
// back end: each step runs in a network namespace of its own, as root limited to exactly those capabilities and
// without privilege escalation (setpriv), like the container.
import test, { type ExecutionContext } from 'ava';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { netnsUnsupportedReason } from '@iam4kube/testkit';
import { buildManifests, find } from '../support/manifests.js';
import { container } from '../support/pod-spec.js';
import { canMakeNamespaces } from '../support/pid1.js';
import { run } from '../support/run.js';

let capabilities: string[] = [];
test.before(async () => {
  const manifests = await buildManifests();
  try {
    const agent = container(find<IDaemonSet>(manifests.objects('install'), 'DaemonSet', 'ip2service'));
    capabilities = agent.securityContext!.capabilities!.add!;
  } finally {
    manifests.copy.remove();
  }
});

/** What a sync does (read, restore our chains with --noflush, insert a jump) and the conntrack flush. */
const SYNC = (backend: string) => `set -e
iptables-${backend}-save >/dev/null
printf '*filter\\n:IP2SVC-FILTER - [0:0]\\n-A IP2SVC-FILTER -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j REJECT --reject-with tcp-reset\\nCOMMIT\\n*nat\\n:IP2SVC-PREROUTING - [0:0]\\n-A IP2SVC-PREROUTING -p tcp -j DNAT --to-destination 10.0.1.7:8181\\nCOMMIT\\n' | iptables-${backend}-restore -w --noflush
iptables-${backend} -w -t nat -I PREROUTING 1 -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j IP2SVC-PREROUTING
iptables-${backend} -w -t filter -I FORWARD 1 -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j IP2SVC-FILTER
iptables-${backend}-save -t nat | grep -q -- '-A PREROUTING -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j IP2SVC-PREROUTING'
rc=0; conntrack -D -d 169.254.169.254 -p tcp --dport 80 >/dev/null 2>&1 || rc=$?
[ "$rc" -le 1 ] || { echo "conntrack exited $rc" >&2; exit 1; }
echo synced`;

function inNamespaceWith(caps: readonly string[], script: string) {
  const bounding = ['-all', ...caps.map((c) => `+${c.toLowerCase()}`)].join(',');
  return run('unshare', ['--net', '--', 'setpriv', '--no-new-privs', `--bounding-set=${bounding}`, '--inh-caps=-all', 'sh', '-c', script], {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
  });
}

/** Why the steps cannot run here (a tool missing), or undefined. */
const missingTool = canMakeNamespaces() ? netnsUnsupportedReason(['iptables-nft-save', 'iptables-legacy-save', 'conntrack', 'setpriv']) : undefined;

/**
 * A step run in a network namespace: skipped without root; where a tool is missing it fails with the reason, not
 * with a shell's "not found".
 */
function step(title: string, body: (t: ExecutionContext) => Promise<void>): void {
  (canMakeNamespaces() ? test : test.skip)(title, async (t) => {
    if (missingTool !== undefined) {
      t.fail(`${missingTool} (apt-get install iptables conntrack; .ci/run installs them)`);
      return;
    }
    await body(t);
  });
}

test('the DaemonSet adds exactly NET_ADMIN and NET_RAW', (t) => {
  t.deepEqual(capabilities, ['NET_ADMIN', 'NET_RAW']);
});

for (const backend of ['nft', 'legacy']) {
  step(`iptables-${backend}: a sync and the conntrack flush work with the DaemonSet's capabilities`, async (t) => {
    const r = await inNamespaceWith(capabilities, SYNC(backend));
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, 'synced\n');
  });
}

step('NET_RAW is needed: with NET_ADMIN alone iptables-legacy cannot write its tables', async (t) => {
  const r = await inNamespaceWith(['NET_ADMIN'], SYNC('legacy'));
  t.not(r.code, 0);
  t.regex(r.stderr, /Permission denied|unable to initialize table/);
  const nft = await inNamespaceWith(['NET_ADMIN'], SYNC('nft'));
  t.is(nft.code, 0, 'iptables-nft alone would do with NET_ADMIN: ' + nft.stderr);
});

step('without the capabilities nothing works (the check can fail)', async (t) => {
  const r = await inNamespaceWith([], SYNC('nft'));
  t.not(r.code, 0);
});
