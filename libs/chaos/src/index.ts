export {
  scenarioSchema,
  faultSchema,
  targetSelectorSchema,
  FAULT_KINDS,
  TIMED_FAULTS,
  TARGET_PICKS,
  type Scenario,
  type FaultKind,
  type FaultSpec,
  type TargetSelector,
  type TargetPick,
  type LoadProfile,
  type SteadyStateObjectives,
  type VerifySettings,
} from './scenario/scenario-schema.js';
export {
  parseScenario,
  loadScenarioFile,
  resolveScenarioPath,
  fieldPath,
} from './scenario/scenario-loader.js';
export { parseDuration, formatDuration } from './scenario/duration.js';
export { createSeededRandom, randomSeed, type SeededRandom } from './schedule/seeded-random.js';
export { buildSchedule, type ScheduledFault } from './schedule/fault-schedule.js';
export type { ChaosTarget } from './targets/chaos-target.js';
export { resolveTarget, type ResolveContext } from './targets/target-resolver.js';
export type { FaultDriver, TargetState } from './faults/fault-driver.js';
export {
  ControlApiClient,
  type ProcessControl,
  type ControlAction,
  type ControlledProcess,
} from './faults/process-control.js';
export { supervisorControl } from './faults/supervisor-control.js';
export { LocalFaultDriver, type LocalProcessInfo } from './faults/local-fault-driver.js';
export { SwarmFaultDriver, type SwarmFaultDriverOptions } from './faults/swarm-fault-driver.js';
export {
  DockerFaultDriver,
  roleFromServiceName,
  ROLE_LABEL,
  ID_LABEL,
  HEALTH_URL_LABEL,
  type DockerFaultDriverOptions,
} from './faults/docker-fault-driver.js';
export { checkQuorumGuard, type QuorumGuardInput, type QuorumGuardVerdict } from './guards/quorum-guard.js';
export { steadyStateBroken } from './guards/steady-state-guard.js';
export {
  WriteHistory,
  type WriteRecord,
  type WriteStatus,
  type WriteOutcome,
  type QuorumDetails,
} from './history/write-history.js';
export { classifyWriteResponse, classifyWriteError } from './load/write-outcome.js';
export { GatewayClient, type ReadResult } from './load/gateway-client.js';
export { runBuiltinLoad, type LoadRunSummary } from './load/builtin-load-driver.js';
export {
  findK6,
  runK6Load,
  parseK6Line,
  k6WriteOutcome,
  K6_HISTORY_MARKER,
  type K6Invocation,
  type K6OpLine,
} from './load/k6-load-runner.js';
export { LoadTimeline, type TimelineBucket, type WindowStats } from './measure/load-timeline.js';
export { targetReady } from './measure/health-probe.js';
export {
  MonitorClient,
  parseMonitorEvents,
  parseClusterStatus,
  type MonitorEvent,
} from './measure/monitor-client.js';
export { ClusterState, configuredPlacement } from './measure/cluster-state.js';
export { ChaosMetrics } from './measure/chaos-metrics.js';
export {
  FaultProbe,
  probeDetectRecover,
  monitorDetectRecover,
  type ProbeSample,
} from './measure/fault-probe.js';
export { checkSet, type CheckResult, type CheckCounts } from './verify/set-checker.js';
export { checkRegisters, type RegisterCheckResult, type LostUpdate } from './verify/register-checker.js';
export { readBack } from './verify/read-back.js';
export {
  checkLinearizability,
  stepRegister,
  type RegisterInput,
  type RegisterOutput,
  type RegisterExpectation,
  type RegisterOperation,
  type LinearizabilityResult,
  type LinearizabilityVerdict,
  type KeyResult,
  type CheckOptions,
} from './verify/linearizability.js';
export { RegisterHistory } from './verify/register-history.js';
export { runCasWorkload, type CasWorkloadOptions, type CasAnswers } from './load/cas-workload.js';
export { checkReplicaConvergence, type ConvergenceResult } from './verify/replica-convergence.js';
export type { ChaosReport, FaultReport, VerificationReport } from './report/report-model.js';
export { writeReports, jsonReport, markdownReport, htmlReport } from './report/report-writers.js';
export { timelineSvg } from './report/timeline-svg.js';
export {
  GrafanaAnnotator,
  type GrafanaAnnotatorOptions,
  type FaultAnnotation,
} from './grafana/grafana-annotations.js';
export {
  environmentFromStack,
  environmentFromStackFile,
  environmentFromEnv,
  dockerEnvironmentSchema,
  type ChaosEnvironment,
} from './run/chaos-environment.js';
export {
  runScenario,
  newRunId,
  type RunScenarioOptions,
  type RunScenarioResult,
} from './run/chaos-runner.js';
