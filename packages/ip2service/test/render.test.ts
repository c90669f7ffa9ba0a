import test from 'ava';

import type { Backend } from '../src/endpoints.js';
import { selectEndpoints } from '../src/endpoints.js';
import type { DesiredState } from '../src/desired-state.js';
import { createDesiredState } from '../src/desired-state.js';
import { jumpRules, renderCleanup, renderRestore } from '../src/render.js';
import { formatRuleArgs } from '../src/rule-args.js';

const SERVICE = 'iam4kube/iam4kube-server:metadata';

function state(backends: Backend[], excludedSources: string[] = []): DesiredState {
  return createDesiredState({
    family: 'IPv4',
    service: SERVICE,
    metadataAddress: '169.254.169.254',
    metadataPort: 80,
    backends,
    excludedSources,
  });
}

// Chain names computed independently: python3 -c "import hashlib,base64; print(base64.b32encode(
// hashlib.sha256(b'10.0.0.1:8181').digest()).decode()[:16])"
const SEP_1 = 'IP2SVC-SEP-VYKPORXNC7K767F5'; // 10.0.0.1:8181
const SEP_2 = 'IP2SVC-SEP-RKFPQSCNZLADMTD2'; // 10.0.0.2:8181
const SEP_10 = 'IP2SVC-SEP-26PNSBEEDDFR6ZYT'; // 10.0.0.10:8181
const SEP_TERMINATING = 'IP2SVC-SEP-5UCVHI6CHRQPENHG'; // 10.0.1.5:8181

const FILTER = `*filter
:IP2SVC-FILTER - [0:0]
-A IP2SVC-FILTER -i lo -m comment --comment "iam4kube/iam4kube-server:metadata: node-local traffic" -j RETURN
-A IP2SVC-FILTER -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -m comment --comment "iam4kube/iam4kube-server:metadata: not redirected, rejected" -j REJECT --reject-with tcp-reset
COMMIT
`;

test('no backends: nothing is redirected (not by later rules either) and the filter chain rejects metadata traffic', (t) => {
  t.is(renderRestore(state([])), `${FILTER}*nat
:IP2SVC-PREROUTING - [0:0]
-A IP2SVC-PREROUTING -m comment --comment "iam4kube/iam4kube-server:metadata: no server, kept from later redirects" -j ACCEPT
COMMIT
`);
});

test('no backends: excluded server pods still RETURN before the ACCEPT (they keep the real metadata service)', (t) => {
  const nat = renderRestore(state([], ['10.0.0.7'])).split('*nat')[1]!;
  const lines = nat.split('\n').filter((l) => l.startsWith('-A'));
  t.is(lines.length, 2);
  t.regex(lines[0]!, /^-A IP2SVC-PREROUTING -s 10\.0\.0\.7\/32 .* -j RETURN$/);
  t.regex(lines[1]!, /-j ACCEPT$/);
});

test('one backend: every connection goes to it, without a statistic match', (t) => {
  t.is(renderRestore(state([{ ip: '10.0.0.1', port: 8181 }])), `${FILTER}*nat
:IP2SVC-PREROUTING - [0:0]
:${SEP_1} - [0:0]
-A IP2SVC-PREROUTING -m comment --comment "iam4kube/iam4kube-server:metadata -> 10.0.0.1:8181" -j ${SEP_1}
-A ${SEP_1} -p tcp -m comment --comment "iam4kube/iam4kube-server:metadata -> 10.0.0.1:8181" -j DNAT --to-destination 10.0.0.1:8181
COMMIT
`);
});

test('three backends: sorted by address, probabilities 1/3 and 1/2 with ten decimals, the last one unconditional', (t) => {
  const backends = [
    { ip: '10.0.0.10', port: 8181 },
    { ip: '10.0.0.2', port: 8181 },
    { ip: '10.0.0.1', port: 8181 },
    { ip: '10.0.0.2', port: 8181 },
  ];
  t.is(renderRestore(state(backends)), `${FILTER}*nat
:IP2SVC-PREROUTING - [0:0]
:${SEP_1} - [0:0]
:${SEP_2} - [0:0]
:${SEP_10} - [0:0]
-A IP2SVC-PREROUTING -m comment --comment "iam4kube/iam4kube-server:metadata -> 10.0.0.1:8181" -m statistic --mode random --probability 0.3333333333 -j ${SEP_1}
-A IP2SVC-PREROUTING -m comment --comment "iam4kube/iam4kube-server:metadata -> 10.0.0.2:8181" -m statistic --mode random --probability 0.5000000000 -j ${SEP_2}
-A IP2SVC-PREROUTING -m comment --comment "iam4kube/iam4kube-server:metadata -> 10.0.0.10:8181" -j ${SEP_10}
-A ${SEP_1} -p tcp -m comment --comment "iam4kube/iam4kube-server:metadata -> 10.0.0.1:8181" -j DNAT --to-destination 10.0.0.1:8181
-A ${SEP_2} -p tcp -m comment --comment "iam4kube/iam4kube-server:metadata -> 10.0.0.2:8181" -j DNAT --to-destination 10.0.0.2:8181
-A ${SEP_10} -p tcp -m comment --comment "iam4kube/iam4kube-server:metadata -> 10.0.0.10:8181" -j DNAT --to-destination 10.0.0.10:8181
COMMIT
`);
});

test('terminating-only endpoints still receive traffic during a rollout', (t) => {
  const selection = selectEndpoints(
    [
      {
        addressType: 'IPv4',
        metadata: { namespace: 'iam4kube', labels: { 'kubernetes.io/service-name': 'iam4kube-server' } },
        ports: [{ name: 'metadata', port: 8181, protocol: 'TCP' }],
        endpoints: [
          { addresses: ['10.0.1.5'], conditions: { ready: false, serving: true, terminating: true } },
          { addresses: ['10.0.1.6'], conditions: { ready: false, serving: false, terminating: true } },
          { addresses: ['10.0.1.7'], conditions: { ready: false, serving: false, terminating: false } },
        ],
      },
    ],
    { namespace: 'iam4kube', serviceName: 'iam4kube-server', portName: 'metadata', family: 'IPv4' },
  );
  t.is(renderRestore(state([...selection.backends])), `${FILTER}*nat
:IP2SVC-PREROUTING - [0:0]
:${SEP_TERMINATING} - [0:0]
-A IP2SVC-PREROUTING -m comment --comment "iam4kube/iam4kube-server:metadata -> 10.0.1.5:8181" -j ${SEP_TERMINATING}
-A ${SEP_TERMINATING} -p tcp -m comment --comment "iam4kube/iam4kube-server:metadata -> 10.0.1.5:8181" -j DNAT --to-destination 10.0.1.5:8181
COMMIT
`);
});

test('excluded sources return early in both tables, before the reject and before the load balancing', (t) => {
  t.is(renderRestore(state([{ ip: '10.0.0.1', port: 8181 }], ['10.0.0.9', '10.0.0.1'])), `*filter
:IP2SVC-FILTER - [0:0]
-A IP2SVC-FILTER -i lo -m comment --comment "iam4kube/iam4kube-server:metadata: node-local traffic" -j RETURN
-A IP2SVC-FILTER -s 10.0.0.1/32 -m comment --comment "iam4kube/iam4kube-server:metadata: server pod, passed through" -j RETURN
-A IP2SVC-FILTER -s 10.0.0.9/32 -m comment --comment "iam4kube/iam4kube-server:metadata: server pod, passed through" -j RETURN
-A IP2SVC-FILTER -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -m comment --comment "iam4kube/iam4kube-server:metadata: not redirected, rejected" -j REJECT --reject-with tcp-reset
COMMIT
*nat
:IP2SVC-PREROUTING - [0:0]
:${SEP_1} - [0:0]
-A IP2SVC-PREROUTING -s 10.0.0.1/32 -m comment --comment "iam4kube/iam4kube-server:metadata: server pod, passed through" -j RETURN
-A IP2SVC-PREROUTING -s 10.0.0.9/32 -m comment --comment "iam4kube/iam4kube-server:metadata: server pod, passed through" -j RETURN
-A IP2SVC-PREROUTING -m comment --comment "iam4kube/iam4kube-server:metadata -> 10.0.0.1:8181" -j ${SEP_1}
-A ${SEP_1} -p tcp -m comment --comment "iam4kube/iam4kube-server:metadata -> 10.0.0.1:8181" -j DNAT --to-destination 10.0.0.1:8181
COMMIT
`);
});

test('stale chains of ours are declared (flushed) then deleted; chains of others are left alone', (t) => {
  const existing = {
    filter: ['INPUT', 'FORWARD', 'OUTPUT', 'IP2SVC-FILTER', 'IP2SVC-OLD', 'KUBE-FORWARD'],
    nat: ['PREROUTING', 'IP2SVC-PREROUTING', SEP_2, SEP_1, 'KUBE-SEP-AAAA', 'ip2svc-lowercase'],
  };
  t.is(renderRestore(state([{ ip: '10.0.0.1', port: 8181 }]), existing), `*filter
:IP2SVC-FILTER - [0:0]
:IP2SVC-OLD - [0:0]
-A IP2SVC-FILTER -i lo -m comment --comment "iam4kube/iam4kube-server:metadata: node-local traffic" -j RETURN
-A IP2SVC-FILTER -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -m comment --comment "iam4kube/iam4kube-server:metadata: not redirected, rejected" -j REJECT --reject-with tcp-reset
-X IP2SVC-OLD
COMMIT
*nat
:IP2SVC-PREROUTING - [0:0]
:${SEP_1} - [0:0]
:${SEP_2} - [0:0]
-A IP2SVC-PREROUTING -m comment --comment "iam4kube/iam4kube-server:metadata -> 10.0.0.1:8181" -j ${SEP_1}
-A ${SEP_1} -p tcp -m comment --comment "iam4kube/iam4kube-server:metadata -> 10.0.0.1:8181" -j DNAT --to-destination 10.0.0.1:8181
-X ${SEP_2}
COMMIT
`);
});

test('jump rules: filter FORWARD and INPUT first, then nat PREROUTING, all matching only metadata traffic', (t) => {
  const rendered = jumpRules(state([])).map((j) => `${j.table} ${j.chain} ${formatRuleArgs(j.args)}`);
  t.deepEqual(rendered, [
    'filter FORWARD -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -m comment --comment "iam4kube/iam4kube-server:metadata: metadata traffic" -j IP2SVC-FILTER',
    'filter INPUT -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -m comment --comment "iam4kube/iam4kube-server:metadata: metadata traffic" -j IP2SVC-FILTER',
    'nat PREROUTING -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -m comment --comment "iam4kube/iam4kube-server:metadata: metadata traffic" -j IP2SVC-PREROUTING',
  ]);
});

test('IPv6 needs only the family: /128 matches and bracketed DNAT destinations', (t) => {
  const v6 = createDesiredState({
    family: 'IPv6',
    service: SERVICE,
    metadataAddress: 'fd00:ec2::254',
    metadataPort: 80,
    backends: [{ ip: 'fd00::1', port: 8181 }],
    excludedSources: ['fd00::9'],
  });
  const text = renderRestore(v6);
  t.true(text.includes('-A IP2SVC-FILTER -d fd00:ec2::254/128 -p tcp -m tcp --dport 80 '));
  t.true(text.includes('-A IP2SVC-PREROUTING -s fd00::9/128 '));
  t.true(text.includes('-A IP2SVC-SEP-NP5RBFNQ63RNA74D -p tcp -m comment --comment "iam4kube/iam4kube-server:metadata -> [fd00::1]:8181" -j DNAT --to-destination [fd00::1]:8181'));
});

test('cleanup text deletes exactly our chains, declaring them first so references between them go', (t) => {
  t.is(
    renderCleanup({ filter: ['INPUT', 'IP2SVC-FILTER', 'KUBE-FORWARD'], nat: ['PREROUTING', SEP_1, 'IP2SVC-PREROUTING'] }),
    `*filter
:IP2SVC-FILTER - [0:0]
-X IP2SVC-FILTER
COMMIT
*nat
:IP2SVC-PREROUTING - [0:0]
:${SEP_1} - [0:0]
-X IP2SVC-PREROUTING
-X ${SEP_1}
COMMIT
`,
  );
  t.is(renderCleanup({ filter: ['INPUT', 'KUBE-FORWARD'], nat: ['PREROUTING'] }), '');
});

test('comments cannot break out of their quotes', (t) => {
  const s = createDesiredState({ family: 'IPv4', service: 'a "b"\n-X c', metadataAddress: '169.254.169.254', metadataPort: 80, backends: [] });
  t.is(s.service, 'a__b__-X_c');
});
