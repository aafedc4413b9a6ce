import type { FaultDriver } from '../faults/fault-driver.js';
import type { FaultKind } from '../scenario/scenario-schema.js';
import type { ChaosTarget } from '../targets/chaos-target.js';
import { targetReady } from './health-probe.js';
import type { MonitorEvent } from './monitor-client.js';

export interface ProbeSample {
  at: number;
  ready: boolean;
  state: string;
  instance: string | null;
}

/** Faults after which the target is a new process (or container start) once it serves again. */
const REPLACES_PROCESS: readonly FaultKind[] = ['kill', 'stop', 'crash', 'restart'];

/**
 * Watches one fault's target: its readiness (`/readyz`, Redis PING) and its process identity from the
 * driver, every `intervalMs`, from just before the fault until it is stopped. The chaos app's own view of
 * detection and recovery, used when the monitor has no event for the fault.
 */
export class FaultProbe {
  readonly samples: ProbeSample[] = [];
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly target: ChaosTarget,
    private readonly driver: FaultDriver,
    private readonly intervalMs = 100,
  ) {}

  /** Takes a first sample (the identity before the fault), then keeps sampling in the background. */
  async start(): Promise<ProbeSample> {
    const first = await this.sample();
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const started = Date.now();
        await this.sample();
        await new Promise((resolve) =>
          setTimeout(resolve, Math.max(0, this.intervalMs - (Date.now() - started))),
        );
      }
    })();
    return first;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  latest(): ProbeSample | undefined {
    return this.samples[this.samples.length - 1];
  }

  private async sample(): Promise<ProbeSample> {
    const [ready, state] = await Promise.all([
      this.target.healthUrl
        ? targetReady(this.target.healthUrl, Math.max(300, this.intervalMs * 4))
        : Promise.resolve(true),
      this.driver.state(this.target).catch(() => ({ state: 'unknown', instance: null, restarts: 0 })),
    ]);
    const sample = {
      at: Date.now(),
      ready: ready && state.state !== 'paused' && state.state !== 'stopped',
      state: state.state,
      instance: state.instance,
    };
    this.samples.push(sample);
    return sample;
  }
}

export interface DetectRecover {
  detectedAt: number | null;
  detectSource: 'monitor' | 'probe' | null;
  recoveredAt: number | null;
  recoverSource: 'monitor' | 'probe' | null;
}

/**
 * From the probe's samples: detected = first sample at/after the injection that is not ready or shows a new
 * process; recovered = first ready sample at/after the fault's end (and after the detection) that, for
 * faults that replace the process, shows a new process.
 */
export function probeDetectRecover(
  kind: FaultKind,
  samples: readonly ProbeSample[],
  before: ProbeSample,
  injectedAt: number,
  endedAt: number,
): { detectedAt: number | null; recoveredAt: number | null } {
  const replaced = (s: ProbeSample) =>
    s.instance !== null && before.instance !== null && s.instance !== before.instance;
  const after = samples.filter((s) => s.at >= injectedAt);
  const detected = after.find((s) => !s.ready || replaced(s));
  if (!detected) return { detectedAt: null, recoveredAt: null };
  const needsNewProcess = REPLACES_PROCESS.includes(kind);
  const recovered = after.find(
    (s) => s.at >= endedAt && s.at >= detected.at && s.ready && (!needsNewProcess || replaced(s)),
  );
  return { detectedAt: detected.at, recoveredAt: recovered?.at ?? null };
}

/** The monitor's own record of the fault, when it has one: an event about the target after the injection. */
export function monitorDetectRecover(
  events: readonly MonitorEvent[],
  target: ChaosTarget,
  injectedAt: number,
): { detectedAt: number | null; recoveredAt: number | null } {
  const about = events.filter((e) =>
    e.subject.some((s) => s === target.name || (target.id !== undefined && s === target.id)),
  );
  const slack = 1000;
  const detectedAt =
    about
      .map((e) => e.detectedAt ?? (/detect|down|fail/i.test(e.type) ? e.at : null))
      .filter((t): t is number => t !== null && t >= injectedAt - slack)
      .sort((a, b) => a - b)[0] ?? null;
  const recoveredAt =
    about
      .map((e) => e.recoveredAt ?? (/recover|up|restart/i.test(e.type) ? e.at : null))
      .filter((t): t is number => t !== null && t >= (detectedAt ?? injectedAt))
      .sort((a, b) => a - b)[0] ?? null;
  return { detectedAt, recoveredAt };
}
