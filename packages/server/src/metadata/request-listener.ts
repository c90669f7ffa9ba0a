import type { RequestListener } from 'node:http';
import { createMetadataApp, type MetadataAppOptions } from './app.js';
import { createFastPath, type InstantAnswers } from './fast-path.js';
import { createRenderedAnswers } from './rendered-answers.js';

export interface MetadataListenerOptions extends MetadataAppOptions {
  /** Answers in memory for the fast path; without them every request goes through the Koa app. */
  readonly instant?: InstantAnswers;
}

/**
 * The metadata port's request listener: the fast path first (credentials already in memory, answered
 * synchronously), the Koa app for everything else. Both share the rendered documents.
 */
export function createMetadataListener(o: MetadataListenerOptions): RequestListener {
  const rendered = o.rendered ?? createRenderedAnswers();
  const slow = createMetadataApp({ ...o, rendered }).callback();
  if (!o.instant) return slow;
  const fast = createFastPath({ ...o, instant: o.instant, imdsV1: o.imdsV1 ?? 'allowed', rendered });
  return (req, res) => {
    // Koa's handler settles its own promise (errors go to its error path): nothing is left floating.
    if (!fast(req, res)) void slow(req, res);
  };
}
