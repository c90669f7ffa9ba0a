import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { NetnsProcess, peerArgv } from '../../src/netns/netns-process.js';
import { bridgeUnixSocketToTcp } from '../../src/netns/netns.js';

/** The helpers that need no root: a process's output lines, the peer program run directly, the unix-socket relay. */

function start(argv: string[]): NetnsProcess {
  return new NetnsProcess({ name: argv.join(' ').slice(0, 40), argv, env: process.env });
}

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/x' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

test('waitForLine resolves on a past or future line and fails fast when the process exits', async (t) => {
  const child = start([process.execPath, '-e', 'console.log("one"); setTimeout(() => { console.log("two"); console.error("bye"); process.exit(3) }, 50)']);
  t.is(await child.waitForLine((l) => l === 'one'), 'one');
  t.is(await child.waitForLine((l) => l === 'two'), 'two');
  await t.throwsAsync(child.waitForLine((l) => l === 'three'), { message: /code 3.*bye/s });
  t.deepEqual(await child.exited, { code: 3, signal: null });
  t.deepEqual(child.lines, ['one', 'two']);
});

test('stop sends the signal and waits for the exit', async (t) => {
  const child = start([process.execPath, '-e', 'console.log("up"); setInterval(() => {}, 1000)']);
  await child.waitForLine((l) => l === 'up');
  t.deepEqual(await child.stop('SIGTERM'), { code: null, signal: 'SIGTERM' });
  t.deepEqual(await child.stop(), { code: null, signal: 'SIGTERM' }, 'harmless once exited');
});

test('the peer program: echo answers with its name and the caller address, and records connections', async (t) => {
  const echo = start(peerArgv('echo', ['server-x', '127.0.0.1', '0']));
  t.teardown(() => echo.stop());
  const { port } = JSON.parse(await echo.waitForLine((l) => l.includes('"listening"'))) as { port: number };
  t.deepEqual(JSON.parse(await httpGet(port)), { name: 'server-x', remote: '127.0.0.1', path: '/x' });
  const connection = JSON.parse(await echo.waitForLine((l) => l.includes('"connection"'))) as Record<string, unknown>;
  t.like(connection, { event: 'connection', name: 'server-x', remote: '127.0.0.1' });
  t.deepEqual(await echo.stop(), { code: 0, signal: null }, 'SIGTERM exits 0');
});

test('the peer program relays TCP to a unix socket, and the bridge relays that to a local TCP port', async (t) => {
  const target = createServer((_req, res) => res.end('through'));
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  t.teardown(() => target.close());
  const dir = mkdtempSync(join(tmpdir(), 'netns-bridge-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, 'relay.sock');
  const bridge = await bridgeUnixSocketToTcp(socket, (target.address() as AddressInfo).port);
  t.teardown(() => bridge.close());
  const relay = start(peerArgv('forward', ['127.0.0.1', '0', socket]));
  t.teardown(() => relay.stop());
  const { port } = JSON.parse(await relay.waitForLine((l) => l.includes('"listening"'))) as { port: number };
  t.is(await httpGet(port), 'through');
});

test('the peer program refuses a bad command line', async (t) => {
  const bad = start(peerArgv('echo', ['only-a-name']));
  t.deepEqual(await bad.exited, { code: 2, signal: null });
  t.regex(bad.stderr, /usage: netns-peer/);
});
