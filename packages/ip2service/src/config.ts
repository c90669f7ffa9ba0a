import { isIPv4 } from 'node:net';

import {
  ConfigError,
  LOG_LEVELS,
  boolFlag,
  durationFlag,
  enumFlag,
  intFlag,
  optionalStringFlag,
  parseFlags,
  stringFlag,
  type FlagValues,
} from '@iam4kube/shared';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** A DNS-1123 label: a Kubernetes namespace or Service name. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Every flag of ip2service; --help (and the configuration reference) are generated from these definitions. */
export const ip2serviceFlags = {
  kubeconfig: optionalStringFlag({
    description: 'Path to a kubeconfig file; without it: $KUBECONFIG, then in-cluster config.',
    env: 'IP2SERVICE_KUBECONFIG',
  }),
  kubeContext: optionalStringFlag({
    description: 'Context to use from the kubeconfig (default: its current-context).',
    env: 'IP2SERVICE_KUBE_CONTEXT',
  }),
  serviceNamespace: stringFlag({
    description: 'Namespace of the iam4kube server Service.',
    env: 'IP2SERVICE_SERVICE_NAMESPACE',
    default: 'iam4kube',
    validate: dnsLabel,
  }),
  serviceName: stringFlag({
    description: 'Name of the iam4kube server Service; its EndpointSlices are the backends metadata traffic goes to.',
    env: 'IP2SERVICE_SERVICE_NAME',
    default: 'iam4kube-server',
    validate: dnsLabel,
  }),
  servicePortName: stringFlag({
    description: 'Name of the Service port that serves the metadata API ("" for an unnamed port).',
    env: 'IP2SERVICE_SERVICE_PORT_NAME',
    default: 'metadata',
  }),
  metadataAddress: stringFlag({
    description: 'The instance metadata address whose traffic from pods is redirected (IPv4).',
    env: 'IP2SERVICE_METADATA_ADDRESS',
    default: '169.254.169.254',
    validate: (v) => (isIPv4(v) ? undefined : `"${v}" is not an IPv4 address`),
  }),
  metadataPort: intFlag({
    description: 'TCP port of the instance metadata service.',
    env: 'IP2SERVICE_METADATA_PORT',
    default: 80,
    min: 1,
    max: 65535,
  }),
  iptablesMode: enumFlag({
    description: 'iptables backend: the one the node already uses (auto, like Kubernetes\' iptables-wrapper), nft or legacy.',
    env: 'IP2SERVICE_IPTABLES_MODE',
    default: 'auto',
    values: ['auto', 'nft', 'legacy'] as const,
  }),
  minSyncInterval: durationFlag({
    description: 'Least time between two syncs: a burst of endpoint changes inside it becomes one sync.',
    env: 'IP2SERVICE_MIN_SYNC_INTERVAL',
    default: SECOND,
    min: 0,
    max: 5 * MINUTE,
  }),
  resyncPeriod: durationFlag({
    description: 'Most time between two syncs: rules someone else changed or flushed are repaired within it.',
    env: 'IP2SERVICE_RESYNC_PERIOD',
    default: 30 * SECOND,
    min: 100,
    max: 60 * MINUTE,
  }),
  healthMaxSyncAge: durationFlag({
    description: '/healthz fails when the last successful sync (or the start, before the first one) is older than this.',
    env: 'IP2SERVICE_HEALTH_MAX_SYNC_AGE',
    default: 2 * MINUTE,
    min: SECOND,
  }),
  auxHost: stringFlag({
    description: 'Address of the health, readiness and metrics endpoints.',
    env: 'IP2SERVICE_AUX_HOST',
    default: '0.0.0.0',
  }),
  auxPort: intFlag({
    description: 'Port of /healthz, /readyz and /metrics.',
    env: 'IP2SERVICE_AUX_PORT',
    default: 9192,
    min: 0,
    max: 65535,
  }),
  excludeServerPods: boolFlag({
    description:
      "Leave the server pods' own metadata traffic alone (it reaches the node's real metadata service), for servers that take their AWS credentials from the node's instance profile.",
    env: 'IP2SERVICE_EXCLUDE_SERVER_PODS',
    default: false,
  }),
  nodeName: optionalStringFlag({
    description: 'Name of the Node this runs on (from the downward API); needed by --remove-taint.',
    env: 'NODE_NAME',
  }),
  removeTaint: optionalStringFlag({
    description: "Taint key to remove from this Node once the rules are in place (off when empty), so pods schedule only after interception works.",
    env: 'IP2SERVICE_REMOVE_TAINT',
  }),
  logLevel: enumFlag({ description: 'Log level.', env: 'IP2SERVICE_LOG_LEVEL', default: 'info', values: LOG_LEVELS }),
  checkConfig: boolFlag({
    description: 'Parse and validate the flags and environment, print "config ok" and exit (the cluster is not contacted).',
    default: false,
  }),
};

export type Ip2serviceConfig = FlagValues<typeof ip2serviceFlags>;

/** What the binary was asked to do: run the agent, or remove every rule and chain it owns. */
export type Ip2serviceCommand = 'run' | 'cleanup';

export type Ip2serviceArgs =
  | { readonly kind: 'help' }
  | { readonly kind: 'run'; readonly command: Ip2serviceCommand; readonly config: Ip2serviceConfig };

export const IP2SERVICE_USAGE = `Usage: ip2service [flags]
       ip2service cleanup [flags]

Redirects pods' TCP traffic to the instance metadata address to the iam4kube server pods (iptables DNAT), and
rejects it when there is no server. "cleanup" removes every rule and chain ip2service owns, and nothing else.`;

const COMMANDS: readonly Ip2serviceCommand[] = ['run', 'cleanup'];

/** Parses argv and the environment; every problem is a ConfigError (one line, exit code 2). */
export function parseIp2serviceArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Ip2serviceArgs {
  const parsed = parseFlags(ip2serviceFlags, argv, { env, maxPositionals: 1 });
  if (parsed.kind === 'help') return parsed;
  const word = parsed.positionals[0] ?? 'run';
  if (!(COMMANDS as readonly string[]).includes(word)) {
    throw new ConfigError(`unknown command "${word}" (commands: ${COMMANDS.join(', ')}; see --help)`);
  }
  const command = word as Ip2serviceCommand;
  if (command === 'run') checkRunConfig(parsed.values);
  return { kind: 'run', command, config: parsed.values };
}

function checkRunConfig(c: Ip2serviceConfig): void {
  if (c.healthMaxSyncAge <= c.resyncPeriod) {
    // Every healthy agent syncs at least once per resync period; a bound below it would fail between two syncs.
    throw new ConfigError('--health-max-sync-age must be longer than --resync-period');
  }
  if (c.minSyncInterval > c.resyncPeriod) {
    throw new ConfigError('--min-sync-interval must not be longer than --resync-period');
  }
  if (c.removeTaint !== undefined) {
    if (c.nodeName === undefined) throw new ConfigError('--remove-taint needs --node-name (or NODE_NAME)');
    const problem = taintKeyProblem(c.removeTaint);
    if (problem) throw new ConfigError(`invalid value for --remove-taint: ${problem}`);
  }
}

function dnsLabel(value: string): string | undefined {
  return DNS_LABEL.test(value) ? undefined : `"${value}" is not a valid Kubernetes name (a DNS-1123 label)`;
}

/** A taint key is a qualified name: an optional DNS subdomain prefix and `/`, then a name of up to 63 characters. */
function taintKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  const nameOk = name.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name);
  const prefixOk = prefix === undefined || (prefix.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(prefix));
  return nameOk && prefixOk ? undefined : `"${key}" is not a valid taint key`;
}
