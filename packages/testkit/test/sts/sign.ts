/**
 * Test helper: signs requests with the AWS SDK's own SigV4 signer (@smithy/signature-v4) and sends raw HTTP, so
 * tests can check the wire format and send requests the SDK would never produce.
 */
import { createHash, createHmac } from 'node:crypto';
import type { Hash, Hmac } from 'node:crypto';
import { request } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';

class Sha256 {
  readonly #hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {
    throw new Error('not supported');
  }
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

export interface Keys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface RawRequest {
  readonly method: string;
  readonly hostname: string;
  readonly port?: number;
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export interface SignOptions {
  readonly region?: string;
  readonly service?: string;
  readonly date?: Date;
  /** Add X-Amz-Content-Sha256 as the JavaScript SDK does (default true). */
  readonly applyChecksum?: boolean;
}

/** The request with the headers the signer adds (authorization, x-amz-date, maybe token and content hash). */
export async function sign(req: RawRequest, keys: Keys, options: SignOptions = {}): Promise<RawRequest> {
  const signer = new SignatureV4({
    credentials: keys,
    region: options.region ?? 'us-east-1',
    service: options.service ?? 'sts',
    sha256: Sha256,
    applyChecksum: options.applyChecksum ?? true,
  });
  const signed = await signer.sign(
    { protocol: 'http:', query: {}, ...req, headers: { ...req.headers } },
    { signingDate: options.date ?? new Date() },
  );
  return { ...req, headers: signed.headers as Record<string, string> };
}

/** A form-encoded STS request to `endpoint`, ready to sign. */
export function stsRequest(endpoint: string, form: Record<string, string>): RawRequest {
  const url = new URL(endpoint);
  return {
    method: 'POST',
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: new URLSearchParams(form).toString(),
  };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** Sends a request over HTTP/1.1 exactly as given (headers and body untouched). */
export function send(req: RawRequest): Promise<RawResponse> {
  const query = new URLSearchParams(req.query ?? {}).toString();
  return new Promise((resolve, reject) => {
    const r = request(
      {
        method: req.method,
        host: req.hostname,
        port: req.port,
        path: query ? `${req.path}?${query}` : req.path,
        headers: req.headers,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    r.end(req.body ?? '');
  });
}
