export type {
  OrchestratorDriver,
  OrchestratorKind,
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
export {
  SwarmDriver,
  STACK_NAMESPACE_LABEL,
  SWARM_SERVICE_LABEL,
  type SwarmDriverOptions,
} from './swarm-driver.js';
export { KubernetesDriver, type KubernetesDriverOptions } from './kubernetes-driver.js';
export {
  SERVICE_LABEL,
  ZONE_LABEL,
  podChange,
  podRuntime,
  podsToDelete,
  type PodRuntime,
} from './kubernetes-pod-state.js';
export { NoneDriver } from './none-driver.js';
export { createDriver, type DriverSettings } from './create-driver.js';
export { orchestratorName } from './service-names.js';
