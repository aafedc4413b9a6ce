export { secretMatches, createSecretChecker } from './secret-compare.js';
export { httpStatusFor } from './http-status.js';
export {
  requireApiKey,
  requireClusterToken,
  requireAdminKey,
  CLUSTER_TOKEN_HEADER,
  ADMIN_KEY_HEADER,
} from './auth.js';
export {
  createServiceApp,
  finishServiceApp,
  methodNotAllowed,
  errorBody,
  type ServiceAppOptions,
} from './service-app.js';
export { listen, onShutdown, closeGracefully } from './http-server.js';
export { createConnectionDrain, type ConnectionDrain } from './connection-drain.js';
