export {
  HealthTracker,
  DEFAULT_HEALTH_POLICY,
  type HealthState,
  type HealthPolicy,
  type HealthTransition,
  type HealthSnapshot,
} from './health-tracker.js';
export { HttpProber, probeRedis, type ProbeResult } from './probes.js';
export {
  HealthProber,
  type HealthProberOptions,
  type HealthProberEvents,
  type ProbeTarget,
} from './health-prober.js';
