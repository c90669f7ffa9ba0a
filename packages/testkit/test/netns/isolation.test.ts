import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { assertIsolatedNetwork, networkInterfaces, parseNetDev } from '../../src/netns/isolation.js';

const HEADER =
  'Inter-|   Receive                                                |  Transmit\n' +
  ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
const row = (name: string): string => `${name.padStart(6)}:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n`;

async function netDev(t: ExecutionContext, names: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'net-dev-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'dev');
  await writeFile(file, HEADER + names.map(row).join(''));
  return file;
}

test('parses interface names from the /proc/net/dev table', (t) => {
  t.deepEqual(parseNetDev(HEADER + row('lo') + row('eth0') + row('ifb0')), ['eth0', 'ifb0', 'lo']);
});

test('only lo: isolated', async (t) => {
  const file = await netDev(t, ['lo']);
  t.deepEqual(networkInterfaces(file), ['lo']);
  t.notThrows(() => assertIsolatedNetwork(file));
});

test('any other interface, or none: not isolated, and the message says how to isolate', async (t) => {
  const file = await netDev(t, ['lo', 'eth0']);
  t.throws(() => assertIsolatedNetwork(file), { message: /interfaces are \[eth0, lo\], expected only \[lo\].*unshare -n/ });
  const empty = await netDev(t, []);
  t.throws(() => assertIsolatedNetwork(empty), { message: /interfaces are \[\]/ });
});

test('the real table of this process lists loopback', (t) => {
  t.true(networkInterfaces().includes('lo'));
});
