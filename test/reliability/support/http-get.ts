import { request, type Agent } from 'node:http';

export interface Answer {
  /** 0 when the request failed at the socket level. */
  readonly status: number;
  readonly body: string;
  readonly error?: string;
  readonly sentAt: number;
  readonly receivedAt: number;
}

/** One GET (or `method`) from a chosen local address; never rejects. */
export function httpGet(url: string, options: { localAddress?: string; agent?: Agent | false; method?: string; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<Answer> {
  const sentAt = performance.now();
  return new Promise((resolve) => {
    const req = request(url, {
      method: options.method ?? 'GET',
      agent: options.agent ?? false,
      headers: options.headers ?? {},
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      timeout: options.timeoutMs ?? 20_000,
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, sentAt, receivedAt: performance.now() }));
      res.on('error', (err) => resolve({ status: 0, body, error: err.message, sentAt, receivedAt: performance.now() }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, body: '', error: (err as NodeJS.ErrnoException).code ?? err.message, sentAt, receivedAt: performance.now() }));
    req.end();
  });
}
