import { request, type Agent } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ImdsResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface ImdsRequest {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The loopback address to call from: the server sees it as the caller's pod IP (127.0.0.1 is demo/app). */
  readonly from?: string;
  readonly agent?: Agent | false;
  readonly timeoutMs?: number;
}

/** One HTTP request to a metadata endpoint, as a pod's SDK makes it. */
export function imds(baseUrl: string, path: string, o: ImdsRequest = {}): Promise<ImdsResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}${path}`,
      {
        method: o.method ?? 'GET',
        headers: o.headers ?? {},
        localAddress: o.from ?? '127.0.0.1',
        ...(o.agent === undefined ? {} : { agent: o.agent }),
        timeout: o.timeoutMs ?? 20_000,
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${path}`)));
    req.on('error', reject);
    req.end();
  });
}

export async function imdsToken(baseUrl: string, o: ImdsRequest = {}, ttl = '21600'): Promise<string> {
  const res = await imds(baseUrl, '/latest/api/token', { ...o, method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': ttl } });
  if (res.status !== 200) throw new Error(`token PUT: ${res.status} ${res.body}`);
  return res.body;
}

/** A fresh token key file (32 random bytes, base64 text, as `openssl rand -base64 32` writes it). */
export function writeTokenKeyFile(): { path: string; key: string } {
  const key = randomBytes(32).toString('base64') + '\n';
  const path = join(mkdtempSync(join(tmpdir(), 'iam4kube-token-key-')), 'token-key');
  writeFileSync(path, key, { mode: 0o600 });
  return { path, key };
}

/** A value from a Prometheus text exposition, 0 when absent. */
export async function metricValue(auxUrl: string, name: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
  const text = await (await fetch(`${auxUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += Number(m[3]);
  }
  return total;
}
