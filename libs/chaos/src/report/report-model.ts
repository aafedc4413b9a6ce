import type { CasVerification } from '../run/cas-verification.js';
import type { CheckCounts, LostWrite, RecoveredWrite, UnexpectedValue } from '../verify/set-checker.js';
import type { RegisterCheckResult } from '../verify/register-checker.js';
import type { PartitionDivergence } from '../verify/replica-convergence.js';
import type { TimelineBucket, WindowStats } from '../measure/load-timeline.js';
import type { FaultKind } from '../scenario/scenario-schema.js';

export type FaultOutcome = 'injected' | 'refused' | 'unsupported' | 'failed' | 'skipped';

/** One fault as it happened. Times are ms since the epoch; durations ms. */
export interface FaultReport {
  index: number;
  name: string;
  kind: FaultKind;
  /** The target's name (`data-2`), or the selector when it could not be resolved. */
  target: string;
  targetRole: string | null;
  origin: 'fixed' | 'random';
  /** Planned start, ms after the load started. */
  scheduledAtMs: number;
  outcome: FaultOutcome;
  reason: string | null;
  injectedAt: number | null;
  /** When the fault was over: undone by us (pause, disconnect...), or = injectedAt for instantaneous ones. */
  endedAt: number | null;
  detectedAt: number | null;
  timeToDetectMs: number | null;
  /** `load`: a link or clock fault, judged by what clients saw (docs/chaos.md, "Detect and recover"). */
  detectSource: 'monitor' | 'probe' | 'load' | null;
  recoveredAt: number | null;
  /** From the end of the fault until the target served again. */
  timeToRecoverMs: number | null;
  recoverSource: 'monitor' | 'probe' | 'load' | null;
  recoverWithinMs: number;
  /** null when the fault was not injected. */
  objectiveMet: boolean | null;
  /** Load while the fault lasted (injection to recovery, or to the end of the fault plus its objective). */
  duringFault: WindowStats | null;
  /** Link faults: which link, which way (`gateway-1 → data-1`, `data-2 ⇄ every peer`); null otherwise. */
  link?: string | null;
  /** clock-skew: the offset, ms; null otherwise. */
  skewMs?: number | null;
}

export interface VerificationReport {
  name: string;
  passed: boolean;
  detail: string;
}

export interface ChaosReport {
  /** The CAS workload and its linearizability check, when the scenario ran one (load.cas). */
  cas?: CasVerification | null;
  format: 'redoubt.chaos-report';
  version: 1;
  runId: string;
  scenario: string;
  description: string | null;
  seed: number | string;
  driver: 'local' | 'docker' | 'swarm';
  loadEngine: 'builtin' | 'k6';
  startedAt: string;
  endedAt: string;
  durationMs: number;
  verdict: 'pass' | 'fail';
  /** Why the run failed, one line per failed verification. */
  failures: string[];
  aborted: string | null;
  /** The required counts (also in `checker.counts`). */
  writes: {
    attempted: number;
    acknowledged: number;
    lost: number;
    unknown: number;
    recoveredUnknown: number;
    unexpected: number;
    failed: number;
  };
  checker: {
    valid: boolean;
    counts: CheckCounts;
    lost: LostWrite[];
    recoveredUnknown: RecoveredWrite[];
    unexpected: UnexpectedValue[];
    unreadable: { key: string; error: string }[];
  } | null;
  /** The register check (verify/register-checker): lost updates on overwritten keys. */
  registers: RegisterCheckResult | null;
  replicas: {
    checked: boolean;
    converged: boolean;
    partitions: number;
    equal: number;
    divergent: PartitionDivergence[];
    elapsedMs: number;
  } | null;
  faults: FaultReport[];
  verifications: VerificationReport[];
  steadyState: {
    maxErrorRate: number;
    p99Ms: number;
    outsideFaults: WindowStats;
    met: boolean;
  };
  load: {
    rate: number;
    durationMs: number;
    arrivals: number;
    dropped: number;
    puts: number;
    gets: number;
    overall: WindowStats;
    notes: string[];
  };
  timeline: { bucketMs: number; buckets: TimelineBucket[] };
  healed: string[];
  annotations: { posted: number; failed: number; url: string | null };
}
