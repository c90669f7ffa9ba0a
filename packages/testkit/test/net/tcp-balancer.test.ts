import test from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'node:http';
import { startTcpBalancer } from '../../src/net/tcp-balancer.js';

async function backend(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => res.end(`${name} ${req.socket.remoteAddress}`));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

function get(url: string, o: { agent?: Agent; localAddress?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...(o.agent ? { agent: o.agent } : {}), ...(o.localAddress ? { localAddress: o.localAddress } : {}) }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

test('connections are spread over the backends, each stays on its backend, the source address is kept', async (t) => {
  const a = await backend('a');
  const b = await backend('b');
  let next = 0;
  const lb = await startTcpBalancer({ backends: [a.port, b.port], pick: (n) => next++ % n });
  t.teardown(async () => {
    await lb.close();
    a.server.close();
    b.server.close();
  });
  t.is(await get(`${lb.url}/`, { localAddress: '127.0.0.2' }), 'a 127.0.0.2');
  t.is(await get(`${lb.url}/`), 'b 127.0.0.1');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const first = await get(`${lb.url}/`, { agent });
  t.is(await get(`${lb.url}/`, { agent }), first, 'a kept-alive connection stays on its backend');
  t.deepEqual([...lb.handed.entries()].sort(), [[a.port, 2], [b.port, 1]].sort());
});

test('backends can change; with none, connections are reset', async (t) => {
  const a = await backend('a');
  const lb = await startTcpBalancer({ backends: [] });
  t.teardown(async () => {
    await lb.close();
    a.server.close();
  });
  await t.throwsAsync(get(`${lb.url}/`), { code: 'ECONNRESET' });
  lb.setBackends([a.port]);
  t.is(await get(`${lb.url}/`), 'a 127.0.0.1');
});
