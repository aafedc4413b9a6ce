export { freePort } from './free-port.js';
export { BACKUP_KEY_FILES, backupKeyFiles, ensureBackupKeys, type BackupKeyFiles } from './backup-keys.js';
export { waitForPort, portAcceptsConnections } from './wait-for-port.js';
export { waitFor } from './wait-for.js';
export {
  startRedisServer,
  startTempRedisServer,
  redisServerAvailable,
  assertRedisServerAvailable,
  redisServerArgs,
  REDIS_INSTALL_HINT,
  type RedisServerHandle,
  type RedisServerOptions,
  type TempRedisServer,
} from './redis-server-process.js';
export {
  startSentinelGroup,
  waitForSentinelGroup,
  askSentinel,
  sentinelConfig,
  sentinelArgs,
  memberConfig,
  prepareConfigFile,
  forgetConfigFile,
  SENTINEL_MASTER_NAME,
  LOCAL_SENTINEL_TIMING,
  type SentinelGroup,
  type SentinelTiming,
  type SentinelProcessHandle,
} from './redis-sentinel.js';
export {
  ServiceProcess,
  REPO_ROOT,
  appEntry,
  type ServiceProcessOptions,
  type ExitInfo,
  type LineSink,
} from './service-process.js';
export { dataNodeService, type DataNodeServiceOptions } from './data-node-service.js';
export { DEFAULT_RESTART_POLICY, restartDelay, type RestartPolicy } from './restart-policy.js';
export {
  SupervisedProcess,
  PROCESS_ACTIONS,
  type ProcessAction,
  type ProcessState,
  type ProcessStatus,
  type SupervisorEvent,
} from './supervised-process.js';
export { Supervisor, type SupervisorOptions } from './supervisor.js';
export {
  instanceCounts,
  portLayout,
  type StackDefinition,
  type ComponentDefinition,
  type StackInstance,
  type StackContext,
  type StackKeys,
  type StackShape,
  type ClusterSettings,
} from './stack-definition.js';
export { REDOUBT_STACK } from './redoubt-stack.js';
export { readStackFile, type StackFile, type StackFileProcess } from './stack-file.js';
export { clockDirOf, clockFaultEnv, findLibfaketime } from './clock-faults.js';
export { homePaths } from './stack-home.js';
export { pidAlive, processStartTime, processStopped } from './process-identity.js';
export {
  startLocalStack,
  generateSecret,
  type LocalStack,
  type LocalStackOptions,
  type StackEndpoint,
  type StackLogEntry,
} from './local-stack.js';
