/** A message port: worker_threads' MessagePort and Worker both are one, and so is either end of a MessageChannel. */
export interface Port {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}
