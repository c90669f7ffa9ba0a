/**
 * A pod's metadata client for the rolling-update suite, run inside a pod's network namespace:
 *
 *   node --import tsx imds-client.ts <metadata-url> <expected-role> <connections>
 *
 * Like an SDK: an IMDSv2 token (PUT), then GETs of the role list and the role's credentials on keep-alive
 * connections (`connections` of them, in parallel), a new token now and then, and every tenth request on a fresh
 * connection. No retries: every failed request counts. Prints one JSON line of counters every second and a final
 * one on SIGTERM ({"event":"final", sent, ok, failed, wrong, errors}), then exits 0.
 */
import { Agent, request } from 'node:http';

const [base, role, connectionsArg] = process.argv.slice(2);
if (!base || !role) {
  process.stderr.write('usage: imds-client <metadata-url> <expected-role> [connections]\n');
  process.exit(2);
}
const counters = { sent: 0, ok: 0, failed: 0, wrong: 0, errors: {} as Record<string, number>, examples: [] as string[] };
const keepAlive = new Agent({ keepAlive: true, maxSockets: Number(connectionsArg ?? '2') });
let running = true;

function call(method: string, path: string, headers: Record<string, string>, fresh: boolean): Promise<{ status: number; body: string; error?: string }> {
  return new Promise((resolve) => {
    const req = request(`${base}${path}`, { method, headers, agent: fresh ? false : keepAlive, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (e) => resolve({ status: 0, body, error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, body: '', error: e.code ?? e.message }));
    req.end();
  });
}

function fail(what: string, detail: string): void {
  counters.failed++;
  counters.errors[detail] = (counters.errors[detail] ?? 0) + 1;
  if (counters.examples.length < 10) counters.examples.push(`${new Date().toISOString()} ${what}: ${detail}`);
}

async function loop(): Promise<void> {
  let token = '';
  for (let i = 0; running; i++) {
    const fresh = i % 10 === 9;
    if (i % 50 === 0) {
      counters.sent++;
      const t = await call('PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' }, fresh);
      if (t.status === 200 && t.body.length > 0) {
        counters.ok++;
        token = t.body;
      } else fail('PUT token', t.error ?? `HTTP ${t.status}`);
      continue;
    }
    const headers: Record<string, string> = token ? { 'x-aws-ec2-metadata-token': token } : {};
    const list = i % 2 === 0;
    counters.sent++;
    const a = await call('GET', `/latest/meta-data/iam/security-credentials/${list ? '' : role}`, headers, fresh);
    if (a.status !== 200) fail(list ? 'GET list' : 'GET credentials', a.error ?? `HTTP ${a.status}`);
    else if (list ? a.body !== role : !/"AccessKeyId"\s*:\s*"ASIA/.test(a.body)) {
      counters.wrong++;
      if (counters.examples.length < 10) counters.examples.push(`wrong answer: ${a.body.slice(0, 100)}`);
    } else counters.ok++;
  }
}

const workers = Array.from({ length: Number(connectionsArg ?? '2') }, () => loop());
const ticker = setInterval(() => process.stdout.write(`${JSON.stringify({ event: 'progress', ...counters, examples: undefined })}\n`), 1000);
process.stdout.write(`${JSON.stringify({ event: 'started' })}\n`);
process.on('SIGTERM', () => {
  running = false;
  void Promise.all(workers).then(() => {
    clearInterval(ticker);
    keepAlive.destroy();
    process.stdout.write(`${JSON.stringify({ event: 'final', ...counters })}\n`);
    process.exit(0);
  });
});
