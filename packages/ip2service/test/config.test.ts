import test from 'ava';

import { ConfigError, describeFlags, helpText } from '@iam4kube/shared';

import { IP2SERVICE_USAGE, ip2serviceFlags, parseIp2serviceArgs, type Ip2serviceArgs } from '../src/config.js';

function run(argv: string[], env: Record<string, string> = {}): Extract<Ip2serviceArgs, { kind: 'run' }> {
  const parsed = parseIp2serviceArgs(argv, env);
  if (parsed.kind !== 'run') throw new Error('expected a run');
  return parsed;
}

test('defaults: the iam4kube-server Service, 169.254.169.254:80, auto mode, 1s/30s/2m, aux on 9192', (t) => {
  const { command, config } = run([]);
  t.is(command, 'run');
  t.like(config, {
    kubeconfig: undefined,
    kubeContext: undefined,
    serviceNamespace: 'iam4kube',
    serviceName: 'iam4kube-server',
    servicePortName: 'metadata',
    metadataAddress: '169.254.169.254',
    metadataPort: 80,
    iptablesMode: 'auto',
    minSyncInterval: 1000,
    resyncPeriod: 30_000,
    healthMaxSyncAge: 120_000,
    auxHost: '0.0.0.0',
    auxPort: 9192,
    excludeServerPods: false,
    nodeName: undefined,
    removeTaint: undefined,
    logLevel: 'info',
    checkConfig: false,
  });
});

test('every flag but --check-config has an IP2SERVICE_* environment variable, except --node-name (NODE_NAME)', (t) => {
  for (const row of describeFlags(ip2serviceFlags)) {
    if (row.flag === '--check-config') t.is(row.env, undefined);
    else if (row.flag === '--node-name') t.is(row.env, 'NODE_NAME');
    else t.regex(row.env ?? '', /^IP2SERVICE_[A-Z_]+$/, row.flag);
  }
});

test('the environment fills in what argv does not set, and argv wins', (t) => {
  const env = {
    IP2SERVICE_SERVICE_NAMESPACE: 'kube-system',
    IP2SERVICE_RESYNC_PERIOD: '10s',
    IP2SERVICE_EXCLUDE_SERVER_PODS: 'true',
    IP2SERVICE_IPTABLES_MODE: 'legacy',
    NODE_NAME: 'node-7',
    IP2SERVICE_REMOVE_TAINT: 'iam4kube.io/agent-not-ready',
  };
  const { config } = run(['--iptables-mode=nft', '--metadata-port', '8080'], env);
  t.like(config, {
    serviceNamespace: 'kube-system',
    resyncPeriod: 10_000,
    excludeServerPods: true,
    iptablesMode: 'nft',
    metadataPort: 8080,
    nodeName: 'node-7',
    removeTaint: 'iam4kube.io/agent-not-ready',
  });
});

test('"cleanup" is a sub-command; anything else is refused', (t) => {
  t.is(run(['cleanup', '--iptables-mode=legacy']).command, 'cleanup');
  t.is(run(['--log-level=debug', 'cleanup']).command, 'cleanup');
  t.throws(() => parseIp2serviceArgs(['clean'], {}), { instanceOf: ConfigError, message: /unknown command "clean"/ });
  t.throws(() => parseIp2serviceArgs(['cleanup', 'now'], {}), { instanceOf: ConfigError, message: /unexpected argument "now"/ });
});

test('--help and --check-config', (t) => {
  t.deepEqual(parseIp2serviceArgs(['--resync-period=1s', '--help'], {}), { kind: 'help' });
  t.true(run(['--check-config']).config.checkConfig);
  const help = helpText(ip2serviceFlags, IP2SERVICE_USAGE);
  for (const flag of ['--kubeconfig', '--kube-context', '--service-namespace', '--service-name', '--service-port-name', '--metadata-address', '--metadata-port', '--iptables-mode', '--min-sync-interval', '--resync-period', '--health-max-sync-age', '--aux-host', '--aux-port', '--exclude-server-pods', '--node-name', '--remove-taint', '--log-level', '--check-config']) {
    t.true(help.includes(`  ${flag}`), flag);
  }
  t.regex(help, /ip2service cleanup/);
});

const invalid: Array<[string, string[], Record<string, string>, RegExp]> = [
  ['an IPv6 or malformed metadata address', ['--metadata-address=fd00:ec2::254'], {}, /--metadata-address: "fd00:ec2::254" is not an IPv4 address/],
  ['a port out of range', ['--metadata-port=70000'], {}, /--metadata-port: 70000 is above the maximum 65535/],
  ['an unknown iptables mode', ['--iptables-mode=ipvs'], {}, /"ipvs" is not one of auto, nft, legacy/],
  ['a bad duration from the environment', [], { IP2SERVICE_RESYNC_PERIOD: 'soon' }, /invalid value for IP2SERVICE_RESYNC_PERIOD/],
  ['a Service name that is not a DNS label', ['--service-name=Server_1'], {}, /not a valid Kubernetes name/],
  ['a health bound not longer than the resync period', ['--resync-period=2m', '--health-max-sync-age=2m'], {}, /--health-max-sync-age must be longer than --resync-period/],
  ['a minimum interval above the resync period', ['--min-sync-interval=1m', '--resync-period=30s'], {}, /--min-sync-interval must not be longer/],
  ['a taint to remove without a node name', ['--remove-taint=iam4kube.io/agent-not-ready'], {}, /--remove-taint needs --node-name/],
  ['a malformed taint key', ['--remove-taint=bad key', '--node-name=n'], {}, /"bad key" is not a valid taint key/],
  ['a boolean that is not one', [], { IP2SERVICE_EXCLUDE_SERVER_PODS: 'maybe' }, /is not a boolean/],
  ['an unknown flag', ['--resync=1s'], {}, /unknown flag --resync/],
];
for (const [what, argv, env, message] of invalid) {
  test(`refuses ${what} with a ConfigError`, (t) => {
    t.throws(() => parseIp2serviceArgs(argv, env), { instanceOf: ConfigError, message });
  });
}

test('cleanup does not need the agent-only settings to be consistent', (t) => {
  // A DaemonSet's preStop or an operator runs cleanup with the agent's environment; it needs only the mode.
  t.is(run(['cleanup', '--remove-taint=x']).command, 'cleanup');
});
