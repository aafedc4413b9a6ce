export { startSupervisorControlServer, type SupervisorControlServer } from './supervisor-control-server.js';
export * as kubernetesPods from './kubernetes-pods.js';
