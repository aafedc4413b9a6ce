import type { LoadTimeline } from '../measure/load-timeline.js';
import { monitorDetectRecover } from '../measure/fault-probe.js';
import type { MonitorEvent } from '../measure/monitor-client.js';
import type { FaultReport } from '../report/report-model.js';
import type { FaultExecution } from './fault-executor.js';

/**
 * Each executed fault as the report shows it: detection and recovery from the monitor's events where it
 * has one for the target, else from the chaos app's probing; recovery counted from the end of the fault;
 * the load's errors and latency while it lasted (until healing, for a target that never came back).
 */
export function faultReports(
  executions: readonly FaultExecution[],
  events: readonly MonitorEvent[],
  timeline: LoadTimeline,
  options: { loadEndedAt: number; aborted: boolean },
): FaultReport[] {
  return [...executions]
    .sort((a, b) => a.fault.index - b.fault.index)
    .map((e) => {
      // A link or clock fault is judged by what clients saw; the monitor's events about its target are
      // about something else (the target itself stays up).
      const monitor =
        e.target && e.injectedAt !== null && e.measuredBy === 'probe'
          ? monitorDetectRecover(events, e.target, e.injectedAt)
          : { detectedAt: null, recoveredAt: null };
      const detectedAt = monitor.detectedAt ?? e.probeDetectedAt;
      const recoveredAt = monitor.recoveredAt ?? e.probeRecoveredAt;
      const endedAt = e.endedAt ?? e.injectedAt;
      const timeToRecoverMs =
        recoveredAt !== null && endedAt !== null ? Math.max(0, recoveredAt - endedAt) : null;
      // A target that never served again was under the fault until healing.
      const windowEnd = recoveredAt ?? options.loadEndedAt;
      return {
        index: e.fault.index,
        name: e.fault.name,
        kind: e.fault.kind,
        target: e.target?.name ?? JSON.stringify(e.fault.target),
        targetRole: e.target?.role ?? null,
        origin: e.fault.origin,
        scheduledAtMs: e.fault.at,
        outcome: e.outcome,
        reason: e.reason,
        injectedAt: e.injectedAt,
        endedAt,
        detectedAt,
        timeToDetectMs:
          detectedAt !== null && e.injectedAt !== null ? Math.max(0, detectedAt - e.injectedAt) : null,
        detectSource:
          monitor.detectedAt !== null ? 'monitor' : e.probeDetectedAt !== null ? e.measuredBy : null,
        recoveredAt,
        timeToRecoverMs,
        recoverSource:
          monitor.recoveredAt !== null ? 'monitor' : e.probeRecoveredAt !== null ? e.measuredBy : null,
        link: linkOf(e),
        skewMs: e.fault.skewMs ?? null,
        recoverWithinMs: e.fault.recoverWithin,
        // An interrupted run stops watching: a recovery it did not see is not judged.
        objectiveMet:
          e.outcome !== 'injected' || (timeToRecoverMs === null && options.aborted)
            ? null
            : timeToRecoverMs !== null && timeToRecoverMs <= e.fault.recoverWithin,
        duringFault:
          e.injectedAt !== null
            ? timeline.window(e.injectedAt, Math.max(windowEnd, e.injectedAt + 1000))
            : null,
      };
    });
}

/** `gateway-1 → data-1`, `gateway-1 ⇄ data-1`, `data-2 ⇄ every peer` for a link fault; null otherwise. */
function linkOf(e: FaultExecution): string | null {
  const link = e.fault.link;
  if (!link || !e.target) return null;
  const peer = e.peer?.name ?? (link.peer ? JSON.stringify(link.peer) : 'every peer');
  const arrow = link.direction === 'both' ? '⇄' : link.direction === 'outbound' ? '→' : '←';
  return `${e.target.name} ${arrow} ${peer}${link.loss !== undefined ? ` (${Math.round(link.loss * 100)}% loss)` : ''}`;
}
