import type { ResourceInfo } from './resources.js';
import { qualifiedResource } from './resources.js';

/** A metav1.Status, the body of every error response. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

/** Thrown by handlers; the router turns it into a Status response (the one error path). */
export class ApiError extends Error {
  readonly status: Status;
  readonly headers: Record<string, string>;

  constructor(code: number, reason: string, message: string, details?: StatusDetails, headers: Record<string, string> = {}) {
    super(message);
    this.status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
    if (details) this.status.details = details;
    this.headers = headers;
  }
}

function resourceDetails(info: ResourceInfo, name: string): StatusDetails {
  return info.group === '' ? { name, kind: info.plural } : { name, group: info.group, kind: info.plural };
}

export function notFound(info: ResourceInfo, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(info)} "${name}" not found`, resourceDetails(info, name));
}

export function alreadyExists(info: ResourceInfo, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedResource(info)} "${name}" already exists`, resourceDetails(info, name));
}

export function conflict(info: ResourceInfo, name: string, why: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(info)} "${name}": ${why}`,
    resourceDetails(info, name),
  );
}

export const STALE_OBJECT = 'the object has been modified; please apply your changes to the latest version and try again';

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function invalid(info: ResourceInfo, name: string, causes: StatusCause[]): ApiError {
  const list = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  const summary = causes.length > 1 ? `[${list}]` : list;
  const details: StatusDetails = { ...resourceDetails(info, name), kind: info.kind, causes };
  return new ApiError(422, 'Invalid', `${info.kind} "${name}" is invalid: ${summary}`, details);
}

export function unprocessable(message: string): ApiError {
  return new ApiError(422, 'UnprocessableEntity', message);
}

export function methodNotAllowed(): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

export function pathNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function notAcceptable(): ApiError {
  return new ApiError(406, 'NotAcceptable', 'the server was unable to respond with a content type that the client supports');
}

export function unsupportedMediaType(type: string): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got ${JSON.stringify(type)})`);
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

export function tooLargeResourceVersion(wanted: number, current: number): ApiError {
  return new ApiError(504, 'Timeout', `Too large resource version: ${wanted}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version', field: '' }],
    retryAfterSeconds: 1,
  });
}

const REASONS: Record<number, [string, string]> = {
  400: ['BadRequest', 'the server rejected our request for an unknown reason'],
  401: ['Unauthorized', 'Unauthorized'],
  403: ['Forbidden', 'forbidden'],
  404: ['NotFound', 'the server could not find the requested resource'],
  409: ['Conflict', 'the server reported a conflict'],
  410: ['Expired', 'the resource version is too old'],
  429: ['TooManyRequests', 'the server has received too many requests and has asked us to try again later'],
  500: ['InternalError', 'an error on the server ("injected fault") has prevented the request from succeeding'],
  503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
  504: ['Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request'],
};

/** The Status the real server sends for a given HTTP code (used by fault injection). */
export function errorForCode(code: number, retryAfterSeconds?: number): ApiError {
  const [reason, message] = REASONS[code] ?? ['Unknown', `an error with code ${code}`];
  const details: StatusDetails | undefined = retryAfterSeconds === undefined ? undefined : { retryAfterSeconds };
  const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) };
  return new ApiError(code, reason, message, details, headers);
}

export function successStatus(details: StatusDetails): Omit<Status, 'code' | 'message' | 'reason'> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}
