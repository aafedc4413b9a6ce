export { secretMatches, createSecretChecker } from './secret-compare.js';
export { httpStatusFor, errorBody } from './http-status.js';
export {
  requireApiKey,
  requireClusterToken,
  clusterTokenCheck,
  requireAdminKey,
  CLUSTER_TOKEN_HEADER,
  ADMIN_KEY_HEADER,
} from './auth.js';
export {
  createServiceApp,
  finishServiceApp,
  methodNotAllowed,
  type ServiceAppOptions,
} from './service-app.js';
export { listen, onShutdown, closeGracefully } from './http-server.js';
export { createConnectionDrain, type ConnectionDrain } from './connection-drain.js';
export {
  fromBodyParserError,
  createBodyReader,
  writeErrorResponse,
  servePlainRoutesFirst,
  type BodyReader,
  type PlainHandler,
} from './plain-route.js';
export { jsonBody, parseBody } from './json-body.js';
export {
  createAuthFailureReporter,
  AUTH_FAILURES_METRIC,
  type AuthFailureReporter,
  type AuthFailureContext,
} from './auth-failures.js';
