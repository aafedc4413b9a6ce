export type {
  OrchestratorDriver,
  RuntimeAction,
  RuntimeEvent,
  RuntimeState,
  RuntimeStatus,
} from './orchestrator-driver.js';
export { SupervisorDriver, changeOf, type SupervisorDriverOptions } from './supervisor-driver.js';
export {
  DockerDriver,
  COMPOSE_PROJECT_LABEL,
  COMPOSE_SERVICE_LABEL,
  type DockerDriverOptions,
} from './docker-driver.js';
export { NoneDriver } from './none-driver.js';
export { createDriver, type DriverSettings } from './create-driver.js';
export { orchestratorName } from './service-names.js';
