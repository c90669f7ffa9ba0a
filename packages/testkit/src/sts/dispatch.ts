/**
 * One STS request, from parsed parameters to the rendered answer: injected faults, authentication, the action,
 * and every error mapped to AWS's XML error shape down one path. Pure apart from the identity store.
 */
import { assumeRole, getCallerIdentity } from './actions.js';
import type { ActionContext, RoleConfig } from './actions.js';
import { authenticate } from './authenticate.js';
import type { Authenticated } from './authenticate.js';
import { invalidAction, stsError, toStsError } from './errors.js';
import type { StsError } from './errors.js';
import type { FaultState } from './faults.js';
import type { IdentityStore } from './identity-store.js';
import type { QueryParams } from './query-params.js';
import { renderAssumeRole, renderError, renderGetCallerIdentity } from './render.js';
import type { SignedRequest } from './sigv4-parse.js';

export const STS_API_VERSION = '2011-06-15';

export interface DispatchContext {
  readonly now: number;
  readonly accountId: string;
  readonly store: IdentityStore;
  readonly roles: Readonly<Record<string, RoleConfig>>;
  readonly unknownRoles: 'allow' | 'deny';
  readonly faults: Pick<FaultState, 'takeInjectedError' | 'roleOverride'>;
  /** True while a '503' outage is on. */
  readonly unavailable: boolean;
}

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly error?: StsError;
  readonly caller?: Authenticated;
}

export function dispatch(
  request: SignedRequest,
  params: QueryParams,
  requestId: string,
  context: DispatchContext,
): Answer {
  const action = params.get('Action') ?? '';
  let caller: Authenticated | undefined;
  try {
    if (context.unavailable) throw stsError('ServiceUnavailable');
    const injected = context.faults.takeInjectedError(action);
    if (injected) throw injected;
    caller = authenticate(request, { now: context.now, find: (key) => context.store.find(key) });
    const version = params.get('Version');
    if (version === STS_API_VERSION && action === 'AssumeRole') {
      const actionContext: ActionContext = {
        now: context.now,
        accountId: context.accountId,
        store: context.store,
        roles: context.roles,
        unknownRoles: context.unknownRoles,
        override: (arn) => context.faults.roleOverride(arn),
      };
      const outcome = assumeRole(actionContext, caller.principal, params);
      return { status: 200, body: renderAssumeRole(outcome, requestId), caller };
    }
    if (version === STS_API_VERSION && action === 'GetCallerIdentity') {
      return { status: 200, body: renderGetCallerIdentity(getCallerIdentity(caller.principal), requestId), caller };
    }
    throw invalidAction(action, version);
  } catch (err) {
    const error = toStsError(err);
    return { status: error.status, body: renderError(error, requestId), error, ...(caller && { caller }) };
  }
}
