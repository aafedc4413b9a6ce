import type { FaultKind, LinkDirection } from '../scenario/scenario-schema.js';
import type { ChaosTarget } from '../targets/chaos-target.js';

/** What a driver reports about a target right now. */
export interface TargetState {
  /** running | paused | stopped | starting | restarting | failed | disconnected | unknown */
  state: string;
  /** Changes whenever the target's process is replaced (pid, container start time): a restart happened. */
  instance: string | null;
  restarts: number;
}

/** What a link or clock fault needs beyond its kind and target. */
export interface FaultParams {
  /** Link faults: the other end; undefined cuts the target off from everything but loopback. */
  peer?: ChaosTarget | undefined;
  direction?: LinkDirection;
  /** slow-link: share of packets dropped. */
  loss?: number | undefined;
  /** clock-skew: offset in ms. */
  skewMs?: number | undefined;
}

/**
 * Injects faults into one kind of environment. `inject` starts a fault; `undo` ends a lasting one
 * (resume a pause, reconnect a network, start a stopped target); `healAll` puts every target the run
 * touched (and everything of the stack that is paused or down) back, and is safe to call repeatedly.
 */
export interface FaultDriver {
  readonly name: 'local' | 'docker' | 'swarm';
  supports(kind: FaultKind): boolean;
  inventory(): Promise<ChaosTarget[]>;
  inject(kind: FaultKind, target: ChaosTarget, params?: FaultParams): Promise<void>;
  undo(kind: FaultKind, target: ChaosTarget, params?: FaultParams): Promise<void>;
  state(target: ChaosTarget): Promise<TargetState>;
  /** Returns a line per action it took. */
  healAll(): Promise<string[]>;
  close(): Promise<void>;
}
