export { startSupervisorControlServer, type SupervisorControlServer } from './supervisor-control-server.js';
