import test from 'ava';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { guardHeaders } from '../../src/metadata/fast-path.js';
import { guardHeadersOf, type GuardHeaders } from '../../src/metadata/request-guard.js';

interface Seen {
  /** The fast path's view, from rawHeaders. */
  readonly ours: GuardHeaders | undefined;
  /** The Koa guard's view, from Node's req.headers. */
  readonly koa: GuardHeaders;
  readonly node: IncomingHttpHeaders;
}

/** Sends raw request heads to a real Node HTTP server; returns, per request, both guards' views and Node's headers. */
async function throughNode(heads: readonly string[]): Promise<Seen[]> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ ours: guardHeaders(req.rawHeaders), koa: guardHeadersOf(req.headers), node: req.headers });
    req.resume();
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    for (const head of heads) {
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
      await new Promise<void>((resolve, reject) => {
        socket.on('data', () => socket.end());
        socket.on('close', () => resolve());
        socket.on('error', reject);
        socket.write(`${head}\r\n`);
      });
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  return seen;
}

test('single occurrences: exactly the values Node puts in req.headers, whatever the case of the names', async (t) => {
  const heads = [
    'GET / HTTP/1.1\r\nHost: x\r\nX-aws-EC2-Metadata-Token: i4k1.abc \r\n',
    'GET / HTTP/1.1\r\nhost: x\r\nx-forwarded-for: 10.0.0.1\r\nContent-Length: 0\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: aws-sdk-js\r\nAccept: */*\r\nX-Some-Other-Header-Of-24: y\r\n',
    'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n',
  ];
  const seen = await throughNode(heads);
  t.is(seen.length, heads.length);
  for (const { ours, koa } of seen) t.deepEqual(ours, koa);
  t.is(seen[0]!.ours?.token, 'i4k1.abc', 'trimmed as Node trims');
  t.deepEqual(seen[1]!.ours, { contentLength: '0', transferEncoding: '', forwardedFor: '10.0.0.1', token: '' });
  t.deepEqual(seen[2]!.ours, { contentLength: '', transferEncoding: '', forwardedFor: '', token: '' }, 'a header of the same length is not mistaken');
  t.is(seen[3]!.ours?.transferEncoding, 'chunked');
});

test('a repeated guard header: no answer here (the Koa app decides with Node\'s merging)', async (t) => {
  const seen = await throughNode([
    'GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.1.1.1\r\nx-forwarded-for: 2.2.2.2\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nX-aws-ec2-metadata-token: a\r\nX-aws-ec2-metadata-token: b\r\n',
  ]);
  t.deepEqual(seen.map((s) => s.ours), [undefined, undefined]);
  t.is(seen[0]!.node['x-forwarded-for'], '1.1.1.1, 2.2.2.2');
});
