import {
  durationFlag,
  enumFlag,
  intFlag,
  numberFlag,
  optionalStringFlag,
  parseFlags,
  stringFlag,
  ConfigError,
  LOG_LEVELS,
  type FlagValues,
  type ParsedArgs,
} from '@iam4kube/shared';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Every flag of the server; --help and docs/configuration.md are generated from these definitions. */
export const serverFlags = {
  kubeconfig: optionalStringFlag({ description: 'Path to a kubeconfig file; without it: $KUBECONFIG, then in-cluster config.' }),
  kubeContext: optionalStringFlag({ description: 'Context to use from the kubeconfig (default: its current-context).' }),
  metadataHost: stringFlag({ description: 'Address the metadata API listens on.', env: 'IAM4KUBE_METADATA_HOST', default: '0.0.0.0' }),
  metadataPort: intFlag({ description: 'Port of the metadata API.', env: 'IAM4KUBE_METADATA_PORT', default: 8181, min: 0, max: 65535 }),
  auxHost: stringFlag({ description: 'Address of the health, readiness and metrics endpoints.', env: 'IAM4KUBE_AUX_HOST', default: '0.0.0.0' }),
  auxPort: intFlag({ description: 'Port of /healthz, /readyz and /metrics.', env: 'IAM4KUBE_AUX_PORT', default: 9191, min: 0, max: 65535 }),
  stsRegion: stringFlag({ description: 'AWS region whose regional STS endpoint is used.', env: 'AWS_REGION', default: 'us-east-1' }),
  stsEndpoint: optionalStringFlag({ description: 'STS endpoint URL (e.g. a VPC endpoint); default: the regional endpoint.', env: 'IAM4KUBE_STS_ENDPOINT' }),
  sessionDuration: durationFlag({ description: 'Lifetime requested for assumed-role sessions (STS allows 15m to 12h; 1h at most under role chaining).', env: 'IAM4KUBE_SESSION_DURATION', default: HOUR, min: 15 * MINUTE, max: 12 * HOUR }),
  refreshBefore: durationFlag({ description: 'Refresh credentials when this much of their life is left.', env: 'IAM4KUBE_REFRESH_BEFORE', default: 30 * MINUTE, min: MINUTE }),
  stsRate: numberFlag({ description: 'Sustained STS AssumeRole calls per second.', env: 'IAM4KUBE_STS_RATE', default: 10, min: 0.01, max: 1000 }),
  stsBurst: intFlag({ description: 'STS AssumeRole calls allowed in a burst.', env: 'IAM4KUBE_STS_BURST', default: 20, min: 1, max: 10000 }),
  waitTimeout: durationFlag({ description: 'How long a request may wait for a pod, a ServiceAccount or credentials still in flight.', env: 'IAM4KUBE_WAIT_TIMEOUT', default: 15_000, min: 0, max: 5 * MINUTE }),
  tokenKeyFile: optionalStringFlag({ description: 'File with the key that signs IMDSv2 tokens, shared by all replicas; without it tokens only work on the replica that issued them.', env: 'IAM4KUBE_TOKEN_KEY_FILE' }),
  shutdownDelay: durationFlag({ description: 'After SIGTERM, keep serving (not ready) this long so that every node stops sending traffic here.', env: 'IAM4KUBE_SHUTDOWN_DELAY', default: 5000, min: 0, max: 10 * MINUTE }),
  logLevel: enumFlag({ description: 'Log level.', env: 'IAM4KUBE_LOG_LEVEL', default: 'info', values: LOG_LEVELS }),
};

export type ServerConfig = FlagValues<typeof serverFlags>;

export const SERVER_USAGE = 'Usage: iam4kube-server [flags]\n\nServes the EC2 instance metadata credentials API to Kubernetes pods.';

export function parseServerArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedArgs<typeof serverFlags> {
  const parsed = parseFlags(serverFlags, argv, { env });
  if (parsed.kind === 'run') checkServerConfig(parsed.values);
  return parsed;
}

function checkServerConfig(c: ServerConfig): void {
  if (c.refreshBefore >= c.sessionDuration) {
    throw new ConfigError('--refresh-before must be shorter than --session-duration');
  }
  if (c.stsEndpoint !== undefined) {
    try {
      new URL(c.stsEndpoint);
    } catch {
      throw new ConfigError(`--sts-endpoint "${c.stsEndpoint}" is not a URL`);
    }
  }
}
