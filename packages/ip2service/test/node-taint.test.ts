import test from 'ava';
import { Writable } from 'node:stream';

import { ManualClock, createLogger } from '@iam4kube/shared';

import { applyJsonPatch } from '../../testkit/src/kube-api/json-patch.js';
import { removeNodeTaint, taintRemovalPatch, type JsonPatchOperation, type NodeClient, type NodeLike } from '../src/node-taint.js';

const KEY = 'iam4kube.io/agent-not-ready';

function node(taints: Array<{ key: string; effect: string }>): NodeLike {
  return { metadata: { name: 'n1' }, spec: { taints } };
}

test('the patch removes every taint with the key, last index first, each guarded by a test', (t) => {
  const before = node([
    { key: KEY, effect: 'NoSchedule' },
    { key: 'other', effect: 'NoSchedule' },
    { key: KEY, effect: 'NoExecute' },
  ]);
  const patch = taintRemovalPatch(before, KEY)!;
  t.deepEqual(patch, [
    { op: 'test', path: '/spec/taints/2/key', value: KEY },
    { op: 'remove', path: '/spec/taints/2' },
    { op: 'test', path: '/spec/taints/0/key', value: KEY },
    { op: 'remove', path: '/spec/taints/0' },
  ]);
  t.deepEqual(applyJsonPatch(before, patch), node([{ key: 'other', effect: 'NoSchedule' }]));
  t.is(taintRemovalPatch(node([{ key: 'other', effect: 'NoSchedule' }]), KEY), undefined);
  t.is(taintRemovalPatch({ spec: { taints: null } }, KEY), undefined);
  t.is(taintRemovalPatch({}, KEY), undefined);
});

/** A Node in an API server that applies JSON patches for real (a failed test operation is a 422), with faults. */
class FakeNodeApi implements NodeClient {
  node: NodeLike;
  gets = 0;
  patches = 0;
  failNextGets = 0;
  /** Runs between our GET and our PATCH, as another controller would. */
  beforeNextPatch: (() => void) | undefined;

  constructor(initial: NodeLike) {
    this.node = initial;
  }

  async getNode(): Promise<NodeLike> {
    this.gets++;
    if (this.failNextGets > 0) {
      this.failNextGets--;
      throw Object.assign(new Error('GET /api/v1/nodes/n1: 503 unavailable'), { status: 503 });
    }
    return structuredClone(this.node);
  }

  async patchNode(_name: string, operations: readonly JsonPatchOperation[]): Promise<void> {
    this.patches++;
    this.beforeNextPatch?.();
    this.beforeNextPatch = undefined;
    try {
      this.node = applyJsonPatch(structuredClone(this.node), operations) as NodeLike;
    } catch (error) {
      throw Object.assign(new Error(`PATCH: 422 ${(error as Error).message}`), { status: 422 });
    }
  }
}

function logs(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'info', stream }), lines };
}

test('removes the taint; a concurrent change of the taint list makes it read again and retry', async (t) => {
  const api = new FakeNodeApi(node([{ key: 'other', effect: 'NoSchedule' }, { key: KEY, effect: 'NoSchedule' }]));
  // Between our read and our patch another controller adds a taint in front: index 1 now holds "other", which an
  // unguarded patch would remove; the guarded one is refused.
  const inFront = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' };
  api.beforeNextPatch = () => {
    api.node = node([inFront, { key: 'other', effect: 'NoSchedule' }, { key: KEY, effect: 'NoSchedule' }]);
  };
  const clock = new ManualClock();
  const { logger, lines } = logs();
  const done = removeNodeTaint({ client: api, nodeName: 'n1', key: KEY, clock, logger, signal: new AbortController().signal, retryInitialMs: 500 });
  await clock.advance(0);
  t.is(api.patches, 1);
  t.is(api.node.spec?.taints?.length, 3, 'the refused patch changed nothing');
  await clock.advance(500);
  t.true(await done);
  t.deepEqual(api.node.spec?.taints, [inFront, { key: 'other', effect: 'NoSchedule' }]);
  t.is(api.gets, 2);
  t.true(lines.some((l) => l['msg'] === 'cannot remove the taint, retrying' && l['retryInMs'] === 500));
  t.true(lines.some((l) => l['msg'] === 'taint removed from the node: pods may be scheduled here now'));
});

test('retries API errors with growing delays; a Node without the taint is success', async (t) => {
  const api = new FakeNodeApi(node([]));
  api.failNextGets = 2;
  const clock = new ManualClock();
  const { logger } = logs();
  const done = removeNodeTaint({ client: api, nodeName: 'n1', key: KEY, clock, logger, signal: new AbortController().signal, retryInitialMs: 100 });
  await clock.advance(100);
  t.is(api.gets, 2);
  await clock.advance(199);
  t.is(api.gets, 2, 'the second delay is doubled');
  await clock.advance(1);
  t.true(await done);
  t.is(api.gets, 3);
  t.is(api.patches, 0);
});

test('gives up when aborted while waiting, resolving false', async (t) => {
  const api = new FakeNodeApi(node([{ key: KEY, effect: 'NoSchedule' }]));
  api.failNextGets = 100;
  const abort = new AbortController();
  const clock = new ManualClock();
  const { logger } = logs();
  const done = removeNodeTaint({ client: api, nodeName: 'n1', key: KEY, clock, logger, signal: abort.signal });
  await clock.advance(0);
  abort.abort();
  t.false(await done);
  t.is(api.gets, 1);
});
