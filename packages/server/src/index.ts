export type { ServerConfig } from './config.js';
export { serverFlags, parseServerArgs, SERVER_USAGE } from './config.js';
export type { ServerOverrides, RunningServer } from './app.js';
export { startServer } from './app.js';
export type { Credentials, AssumeRoleRequest, Assumer, Limiter } from './credentials/credentials.js';
export { CredentialsError } from './credentials/credentials.js';
export type { RoleBinding } from './identity/role-binding.js';
export { roleBindingFor, checkRoleArn, checkExternalId, ROLE_ARN_ANNOTATION, EXTERNAL_ID_ANNOTATION } from './identity/role-binding.js';
export { sessionNameFor, MAX_SESSION_NAME } from './identity/session-name.js';
