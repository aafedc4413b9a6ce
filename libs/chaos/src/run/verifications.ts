import type { WindowStats } from '../measure/load-timeline.js';
import type { FaultReport, VerificationReport } from '../report/report-model.js';
import { formatDuration } from '../scenario/duration.js';
import type { Scenario } from '../scenario/scenario-schema.js';
import type { ConvergenceResult } from '../verify/replica-convergence.js';
import type { RegisterCheckResult } from '../verify/register-checker.js';
import type { CheckResult } from '../verify/set-checker.js';
import type { CasVerification } from './cas-verification.js';

export interface VerificationInput {
  scenario: Scenario;
  aborted: string | null;
  check: CheckResult | undefined;
  registers?: RegisterCheckResult | undefined;
  convergence: ConvergenceResult | undefined;
  faults: readonly FaultReport[];
  scheduled: number;
  outsideFaults: WindowStats;
  steadyMet: boolean;
  /** The CAS workload's checked history, when the scenario ran one. */
  cas?: CasVerification;
}

/**
 * What the verdict rests on, one line each: the run completed; no acknowledged write was lost (and at
 * least one was acknowledged, or nothing was proven); replicas converged; every fault was injected (guard
 * refusals are allowed); every injected fault met its recovery objective; the steady state (if asked).
 */
export function verificationsOf(input: VerificationInput): VerificationReport[] {
  const { scenario, aborted, check, registers, convergence, faults, scheduled, outsideFaults, steadyMet } =
    input;
  const verifications: VerificationReport[] = [];
  const add = (name: string, passed: boolean, detail: string) => verifications.push({ name, passed, detail });
  add('run completed', aborted === null, aborted ?? 'load and every scheduled fault ran to the end');
  if (check) {
    add(
      'acknowledged writes survive',
      check.valid && check.counts.acknowledged > 0,
      check.counts.acknowledged === 0
        ? 'no write was acknowledged: nothing was verified'
        : `${check.counts.acknowledged} acknowledged, ${check.counts.lost} lost, ${check.counts.unexpected} unexpected, ` +
            `${check.counts.unreadable} unreadable; ${check.counts.unknown} unknown (${check.counts.recoveredUnknown} applied after all)`,
    );
  }
  if (registers) {
    const first = registers.lostUpdates[0];
    add(
      'register check (no lost updates)',
      registers.valid,
      registers.valid
        ? `${registers.writesChecked} acknowledged writes on ${registers.overwrittenKeys} overwritten keys: every read returned the last acknowledged write or a concurrent one`
        : `${registers.lostUpdates.length} lost updates, e.g. ${first!.key}: write ${first!.lost.id} (${first!.lost.version}) acknowledged, ` +
            `yet the read returned write ${first!.read.id} (${first!.read.version}), which had finished before it began`,
    );
  }
  if (convergence) {
    add(
      'replicas converge',
      convergence.converged,
      convergence.converged
        ? `all ${convergence.partitions} partitions have R equal replicas (${formatDuration(convergence.elapsedMs)})`
        : `${convergence.divergent.length} of ${convergence.partitions} partitions still differ after ${formatDuration(convergence.elapsedMs)}`,
    );
  }
  const notInjected = faults.filter((f) => f.outcome === 'failed' || f.outcome === 'unsupported');
  add(
    'faults injected',
    notInjected.length === 0 && faults.length === scheduled,
    notInjected.length === 0
      ? `${faults.filter((f) => f.outcome === 'injected').length} injected, ${faults.filter((f) => f.outcome === 'refused').length} refused by guards`
      : notInjected.map((f) => `#${f.index} ${f.outcome}: ${f.reason}`).join('; '),
  );
  if (scenario.verify.recoveryObjectives) {
    const missed = faults.filter((f) => f.objectiveMet === false);
    add(
      'recovery objectives',
      missed.length === 0,
      missed.length === 0
        ? "every injected fault's target served again within its objective"
        : missed
            .map(
              (f) =>
                `#${f.index} ${f.kind} ${f.target}: ${f.timeToRecoverMs === null ? 'did not recover' : formatDuration(f.timeToRecoverMs)} > ${formatDuration(f.recoverWithinMs)}`,
            )
            .join('; '),
    );
  }
  if (scenario.verify.steadyStateObjectives)
    add(
      'steady state',
      steadyMet,
      `outside faults: error rate ${(outsideFaults.errorRate * 100).toFixed(2)}%, p99 ${formatDuration(outsideFaults.p99Ms)}`,
    );
  if (input.cas && scenario.verify.linearizable) {
    const { result, operations } = input.cas;
    add(
      'conditional writes linearizable',
      result.verdict === 'linearizable' && operations.answered > 0,
      `${result.verdict}: ${result.operations} operations on ${result.keys} keys (${operations.unknown} unknown), ` +
        `${result.steps} search steps in ${Math.round(result.ms)} ms` +
        (result.problems.length > 0
          ? `; keys ${result.problems.map((p) => `${p.key} ${p.verdict}`).join(', ')}`
          : ''),
    );
  }
  return verifications;
}
