import { Writable } from 'node:stream';
import { inject } from 'light-my-request';
import { ManualClock, createLogger, createMetricsRegistry, type Registry } from '@iam4kube/shared';
import { createMetadataApp } from '../../src/metadata/app.js';
import { createTokenSigner, type TokenSigner } from '../../src/metadata/imds-token.js';
import { createMetadataMetrics } from '../../src/metadata/metadata-metrics.js';
import type { Kernel } from '../../src/metadata/kernel.js';
import type { Placement } from '../../src/metadata/listings.js';
import type { PodEvent } from '../../src/metadata/pod-events.js';
import type { ImdsV1Policy } from '../../src/metadata/request-guard.js';
import type { Resolution } from '../../src/identity/resolver.js';
import type { PodRecord } from '../../src/kube/pod-record.js';
import type { Credentials } from '../../src/credentials/credentials.js';

export const ROLE_ARN = 'arn:aws:iam::123456789012:role/team/demo-role';

export function podRecord(o: Partial<PodRecord> & { name: string; ip: string }): PodRecord {
  return {
    uid: `uid-${o.name}`, namespace: 'demo', podIPs: [o.ip], serviceAccountName: 'app', nodeName: 'node-a', phase: 'Running',
    hostNetwork: false, terminating: false, resourceVersion: '1', ...o,
  };
}

export const POD = podRecord({ name: 'app', ip: '10.0.0.5' });
export const ROLE: Resolution = {
  kind: 'role',
  pod: POD,
  binding: { kind: 'role', roleArn: ROLE_ARN, roleName: 'demo-role', externalId: undefined, sessionName: 'demo@app' },
};

export const CREDENTIALS: Credentials = {
  accessKeyId: 'ASIAEXAMPLEEXAMPLE01', secretAccessKey: 'secret/secret+SECRET', sessionToken: 'session-token-SECRET',
  expiration: Date.UTC(2026, 10, 23, 13, 0, 0, 250), issuedAt: Date.UTC(2026, 10, 23, 12, 0, 0, 999),
};

export interface HarnessOptions {
  /** Resolutions by caller IP; unknown IPs resolve as unknown pods. */
  readonly byIp?: Record<string, Resolution>;
  /** Replaces the map-based resolver (e.g. the real one, to test waiting). */
  readonly resolve?: Kernel['resolve'];
  readonly credentials?: Kernel['credentials'];
  readonly placements?: Record<string, Placement>;
  readonly imdsV1?: ImdsV1Policy;
  readonly tokens?: TokenSigner;
  readonly waitTimeoutMs?: number;
}

export interface InjectOptions {
  readonly method?: string;
  readonly url: string;
  readonly ip?: string;
  readonly headers?: Record<string, string>;
  readonly payload?: string;
}

/** The Koa app, driven without a port (light-my-request), with a manual clock, a captured log and a real registry. */
export function harness(o: HarnessOptions = {}) {
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0, 500));
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', stream: new Writable({ write: (c, _e, cb) => { lines.push(String(c)); cb(); } }) });
  const events: PodEvent[] = [];
  const registry: Registry = createMetricsRegistry({ processMetrics: false });
  const tokens = o.tokens ?? createTokenSigner();
  const kernel: Kernel = {
    resolve: o.resolve ?? (async (ip) => o.byIp?.[ip] ?? { kind: 'refused', reason: 'unknown-pod' }),
    credentials: o.credentials ?? (async () => CREDENTIALS),
    placement: (node) => o.placements?.[node],
  };
  const metrics = createMetadataMetrics(registry);
  const app = createMetadataApp({
    kernel, tokens, clock, logger, metrics, waitTimeoutMs: o.waitTimeoutMs ?? 15_000,
    imdsV1: o.imdsV1 ?? 'allowed', events: { record: (e) => events.push(e) },
  });
  const callback = app.callback();
  const request = (r: InjectOptions) =>
    inject(callback, {
      method: (r.method ?? 'GET') as 'GET',
      url: r.url,
      remoteAddress: r.ip ?? POD.podIPs[0]!,
      headers: r.headers ?? {},
      ...(r.payload === undefined ? {} : { payload: r.payload }),
    });
  const token = async (ip?: string): Promise<string> =>
    (await request({ method: 'PUT', url: '/latest/api/token', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' }, ...(ip ? { ip } : {}) })).body;
  const metric = async (name: string, labels: Record<string, string>): Promise<number> => {
    const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
    const value = (found?.values as Array<{ labels: Record<string, string | number>; value: number }> | undefined)?.find((v) =>
      Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
    );
    return value?.value ?? 0;
  };
  return { request, token, tokens, clock, logger, metrics, callback, lines, events, registry, metric };
}
