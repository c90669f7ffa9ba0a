import { KubeApiError, type ResourceQuery, type WatchEvent } from '@iam4kube/shared';
import { CredentialsError, type AssumeRoleRequest } from '../credentials/credentials.js';
import type { CoreEvent, EventUpdate } from '../kube/event-recorder.js';

/** One outbound call, as it crosses to the outbound thread: plain data (structured clone). */
export type OutboundCall =
  | { readonly op: 'listPage'; readonly query: ResourceQuery; readonly cont: string | undefined }
  | { readonly op: 'watch'; readonly query: ResourceQuery; readonly resourceVersion: string }
  | { readonly op: 'podRevision' }
  | { readonly op: 'podsWithIp'; readonly ip: string }
  | { readonly op: 'pod'; readonly namespace: string; readonly name: string }
  | { readonly op: 'serviceAccountVersion'; readonly namespace: string; readonly name: string }
  | { readonly op: 'createEvent'; readonly event: CoreEvent }
  | { readonly op: 'updateEvent'; readonly namespace: string; readonly name: string; readonly update: EventUpdate }
  | { readonly op: 'assumeRole'; readonly request: AssumeRoleRequest };

/** Caller → outbound thread: a call, or the abort of one (its AbortSignal fired). */
export type ToOutbound = { readonly kind: 'call'; readonly id: number; readonly call: OutboundCall } | { readonly kind: 'cancel'; readonly id: number };

/** Outbound thread → caller: how a call ended, and for a watch its opening and its events, in order. */
export type FromOutbound =
  | { readonly kind: 'result'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'error'; readonly id: number; readonly error: WireError }
  | { readonly kind: 'open'; readonly id: number }
  | { readonly kind: 'event'; readonly id: number; readonly event: WatchEvent };

/** An error as plain data: what the callers read of it (class, message, HTTP status, STS code, permanence). */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly status?: number;
  readonly code?: string;
  readonly permanent?: boolean;
}

export function errorToWire(err: unknown): WireError {
  if (err instanceof KubeApiError) return { name: err.name, message: err.message, status: err.status };
  if (err instanceof CredentialsError) return { name: err.name, message: err.message, code: err.code, permanent: err.permanent };
  const e = (err ?? {}) as { name?: unknown; message?: unknown; code?: unknown };
  return {
    name: typeof e.name === 'string' ? e.name : 'Error',
    message: typeof e.message === 'string' ? e.message : String(err),
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
  };
}

/** The error again, of the class the callers test for (KubeApiError, CredentialsError), or an Error with name and code. */
export function errorFromWire(w: WireError): Error {
  if (w.name === 'KubeApiError' && w.status !== undefined) return new KubeApiError(w.status, w.message);
  if (w.name === 'CredentialsError' && w.code !== undefined) return new CredentialsError(w.message, w.code, w.permanent === true);
  const err = new Error(w.message) as Error & { code?: string };
  err.name = w.name;
  if (w.code !== undefined) err.code = w.code;
  return err;
}
