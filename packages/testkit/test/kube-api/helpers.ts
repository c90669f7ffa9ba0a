import { get } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import type { Clock, Timer } from '../../src/kube-api/clock.js';

/** A clock that moves only when told; timers fire synchronously inside advance(). */
export class FakeClock implements Clock {
  #now = Date.UTC(2026, 0, 1);
  #timers: { at: number; fn: () => void; cancelled: boolean }[] = [];

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const timer = { at: this.#now + Math.max(0, ms), fn, cancelled: false };
    this.#timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => !t.cancelled && t.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.cancelled = true;
      this.#now = due.at;
      due.fn();
    }
    this.#now = target;
  }
}

export interface WatchEvent {
  type: string;
  object: { kind?: string; metadata: { name?: string; resourceVersion?: string; annotations?: Record<string, string> }; [k: string]: unknown };
}

/** A raw watch stream: read events one by one, learn when the server ends it. */
export interface RawWatch {
  readonly status: number;
  next(): Promise<WatchEvent>;
  /** Resolves with "end" (clean final chunk) or "aborted" (connection cut). */
  readonly closed: Promise<'end' | 'aborted'>;
  close(): void;
}

export function openRawWatch(url: string, headers: Record<string, string> = {}): Promise<RawWatch> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers }, (res: IncomingMessage) => {
      const queue: WatchEvent[] = [];
      const waiters: ((e: WatchEvent) => void)[] = [];
      const closed = new Promise<'end' | 'aborted'>((done) => {
        res.on('end', () => done('end'));
        res.on('aborted', () => done('aborted'));
        res.on('error', () => done('aborted'));
      });
      const lines = createInterface({ input: res });
      lines.on('error', () => undefined); // a cut connection is reported through `closed`
      lines.on('line', (line) => {
        const event = JSON.parse(line) as WatchEvent;
        const waiter = waiters.shift();
        if (waiter) waiter(event);
        else queue.push(event);
      });
      resolve({
        status: res.statusCode ?? 0,
        next: () => {
          const queued = queue.shift();
          if (queued) return Promise.resolve(queued);
          return new Promise<WatchEvent>((r, j) => {
            waiters.push(r);
            void closed.then((how) => j(new Error(`watch ${how} while waiting for an event`)));
          });
        },
        closed,
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

export async function readEvents(watch: RawWatch, count: number): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  for (let i = 0; i < count; i++) out.push(await watch.next());
  return out;
}

export const summary = (events: WatchEvent[]): string[] => events.map((e) => `${e.type} ${e.object.metadata.name ?? ''}`.trim());

export function pod(namespace: string, name: string, extra: { labels?: Record<string, string>; nodeName?: string } = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: { ...(extra.nodeName ? { nodeName: extra.nodeName } : {}), containers: [{ name: 'app', image: 'busybox:1.36' }] },
  };
}
