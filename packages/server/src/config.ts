import {
  boolFlag,
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
import { normalizeBaseRoleArn } from './identity/pod-role-binding.js';

const MINUTE = 60_000;
/** A Kubernetes annotation key: an optional DNS prefix and `/`, then a name of up to 63 characters. */
const ANNOTATION_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const HOUR = 60 * MINUTE;
/** What STS accepts as a session tag value. */
const SESSION_TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u;

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
  refreshBefore: durationFlag({ description: 'Refresh credentials when this much of their life is left (at most half the session; below 26m botocore may use credentials past their expiry: warned at start). See docs/credentials.md.', env: 'IAM4KUBE_REFRESH_BEFORE', default: 30 * MINUTE, min: MINUTE }),
  stsRate: numberFlag({ description: 'Sustained STS AssumeRole calls per second (a token bucket shared by all roles).', env: 'IAM4KUBE_STS_RATE', default: 10, min: 0.01, max: 1000 }),
  stsBurst: intFlag({ description: 'STS AssumeRole calls allowed in a burst (the size of the token bucket).', env: 'IAM4KUBE_STS_BURST', default: 20, min: 1, max: 10000 }),
  stsTimeout: durationFlag({ description: 'Bound on one STS AssumeRole call; a call that takes longer is retried with backoff.', env: 'IAM4KUBE_STS_TIMEOUT', default: 5000, min: 100, max: MINUTE }),
  sessionTags: boolFlag({ description: 'Tag sessions with kubernetes-namespace, kubernetes-service-account and (with --cluster-name) kubernetes-cluster-name; every role\'s trust policy must allow sts:TagSession.', env: 'IAM4KUBE_SESSION_TAGS', default: false }),
  clusterName: optionalStringFlag({ description: 'Value of the kubernetes-cluster-name session tag (with --session-tags).', env: 'IAM4KUBE_CLUSTER_NAME' }),
  sourceIdentity: boolFlag({ description: 'Set the session\'s SourceIdentity to namespace@serviceaccount; every role\'s trust policy must allow sts:SetSourceIdentity.', env: 'IAM4KUBE_SOURCE_IDENTITY', default: false }),
  namespaceRestrictions: boolFlag({ description: 'Permit only the roles a Namespace\'s iam.amazonaws.com/allowed-roles (kube2iam: JSON array of ARNs, names or globs) or iam.amazonaws.com/permitted (kiam: regular expression over the whole ARN) annotation allows; a Namespace with neither permits none. Watches Namespaces. See docs/identity.md.', env: 'IAM4KUBE_NAMESPACE_RESTRICTIONS', default: false }),
  podRoleAnnotation: optionalStringFlag({ description: 'Compatibility with kiam/kube2iam: a pod annotation (e.g. iam.amazonaws.com/role) naming the pod\'s role, a full ARN or a name under --base-role-arn; used only when the pod\'s ServiceAccount has no iam.amazonaws.com/roleArn. Off when empty.', env: 'IAM4KUBE_POD_ROLE_ANNOTATION' }),
  baseRoleArn: optionalStringFlag({ description: 'Prefix for role names without an ARN (in --pod-role-annotation values and allowed-roles entries), e.g. arn:aws:iam::123456789012:role/ or with a path; a missing trailing / is added.', env: 'IAM4KUBE_BASE_ROLE_ARN' }),
  waitTimeout: durationFlag({ description: 'How long a request may wait for a pod, a ServiceAccount or credentials still in flight.', env: 'IAM4KUBE_WAIT_TIMEOUT', default: 15_000, min: 0, max: 5 * MINUTE }),
  tokenKeyFile: optionalStringFlag({ description: 'File with the key that signs IMDSv2 tokens, shared by all replicas; without it tokens only work on the replica that issued them.', env: 'IAM4KUBE_TOKEN_KEY_FILE' }),
  imdsV1: enumFlag({ description: 'IMDSv1 (requests without a session token): allowed, or disabled (such requests get 401, as on an instance with HttpTokens=required; needs --token-key-file).', env: 'IAM4KUBE_IMDS_V1', default: 'allowed', values: ['allowed', 'disabled'] }),
  shutdownDelay: durationFlag({ description: 'After SIGTERM, keep serving (not ready) this long so that every node stops sending traffic here.', env: 'IAM4KUBE_SHUTDOWN_DELAY', default: 5000, min: 0, max: 10 * MINUTE }),
  logLevel: enumFlag({ description: 'Log level.', env: 'IAM4KUBE_LOG_LEVEL', default: 'info', values: LOG_LEVELS }),
  checkConfig: boolFlag({ description: 'Validate the flags, the environment and the files they name (--token-key-file), print "config ok" and exit (the cluster and STS are not contacted).', default: false }),
};

export type ServerConfig = FlagValues<typeof serverFlags>;

export const SERVER_USAGE = 'Usage: iam4kube-server [flags]\n\nServes the EC2 instance metadata credentials API to Kubernetes pods.';

export function parseServerArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedArgs<typeof serverFlags> {
  const parsed = parseFlags(serverFlags, argv, { env });
  if (parsed.kind === 'run') checkServerConfig(parsed.values);
  return parsed;
}

function checkServerConfig(c: ServerConfig): void {
  // --refresh-before past half the session is lowered with a start-up warning (credentials/session-timing.ts).
  if (c.clusterName !== undefined && !SESSION_TAG_VALUE.test(c.clusterName)) {
    throw new ConfigError('--cluster-name must be 1-256 characters of letters, digits, spaces and _.:/=+-@ (an STS session tag value)');
  }
  if (c.imdsV1 === 'disabled' && c.tokenKeyFile === undefined) {
    // Without a shared key a token from one replica is refused by the others, and with IMDSv1 disabled that fails
    // the client's request: ip2service spreads one SDK's calls across replicas.
    throw new ConfigError('--imds-v1=disabled needs --token-key-file (a key shared by every replica)');
  }
  if (c.baseRoleArn !== undefined) {
    const base = normalizeBaseRoleArn(c.baseRoleArn);
    if (!base.ok) throw new ConfigError(base.reason);
  }
  if (c.podRoleAnnotation !== undefined && c.podRoleAnnotation !== '' && !ANNOTATION_KEY.test(c.podRoleAnnotation)) {
    throw new ConfigError(`--pod-role-annotation "${c.podRoleAnnotation}" is not an annotation key (e.g. iam.amazonaws.com/role)`);
  }
  if (c.stsEndpoint !== undefined) {
    try {
      new URL(c.stsEndpoint);
    } catch {
      throw new ConfigError(`--sts-endpoint "${c.stsEndpoint}" is not a URL`);
    }
  }
}
