import { RedoubtError } from '@redoubt/errors';
import type { FaultKind } from '../scenario/scenario-schema.js';
import type { ChaosTarget } from '../targets/chaos-target.js';
import { writeClockOffset } from './clock-offset.js';
import type { FaultDriver, FaultParams, TargetState } from './fault-driver.js';
import type { ControlAction, ProcessControl } from './process-control.js';

/** A process of the local stack as stack.json describes it. */
export interface LocalProcessInfo {
  name: string;
  role: string;
  id?: string | undefined;
  url?: string | undefined;
}

const ACTIONS: Partial<Record<FaultKind, ControlAction>> = {
  kill: 'kill',
  stop: 'stop',
  pause: 'pause',
  restart: 'restart',
  crash: 'crash',
};

/**
 * Faults on the processes of `npm start`, through the supervisor's control API: kill (SIGKILL, stays
 * down like `docker kill`), stop (SIGTERM, stays down), pause (SIGSTOP), restart, crash (SIGKILL the
 * supervisor restarts by policy); clock-skew through the libfaketime offset files of a stack started with
 * REDOUBT_CHAOS_CLOCK=1. Network faults need containers (the docker driver): refused here.
 */
export class LocalFaultDriver implements FaultDriver {
  readonly name = 'local' as const;
  private readonly touched = new Set<string>();
  private readonly skewed = new Set<string>();

  constructor(
    private readonly control: ProcessControl,
    private readonly processes: readonly LocalProcessInfo[],
    /** `<home>/clock` of a stack started with REDOUBT_CHAOS_CLOCK=1: clock-skew faults; else refused. */
    private readonly clockDir?: string,
  ) {}

  supports(kind: FaultKind): boolean {
    return ACTIONS[kind] !== undefined || (kind === 'clock-skew' && this.clockDir !== undefined);
  }

  async inventory(): Promise<ChaosTarget[]> {
    const live = await this.control.list();
    return live.map((p) => {
      const info = this.processes.find((i) => i.name === p.name);
      return {
        name: p.name,
        role: p.role,
        id: info?.id,
        healthUrl: info?.url,
        labels: { role: p.role, name: p.name, ...(info?.id ? { id: info.id } : {}) },
      };
    });
  }

  async inject(kind: FaultKind, target: ChaosTarget, params: FaultParams = {}): Promise<void> {
    if (kind === 'clock-skew' && this.clockDir) {
      this.skewed.add(target.name);
      await writeClockOffset(this.clockDir, target.name, params.skewMs ?? 0);
      return;
    }
    const action = ACTIONS[kind];
    if (!action)
      throw new RedoubtError(
        'FAULT_REFUSED',
        `the local driver cannot ${kind} ${target.name}: ` +
          (kind === 'clock-skew'
            ? 'start the stack with REDOUBT_CHAOS_CLOCK=1 npm start'
            : 'network faults need the docker driver'),
        { kind, target: target.name },
      );
    this.touched.add(target.name);
    await this.control.act(target.name, action);
  }

  async undo(kind: FaultKind, target: ChaosTarget): Promise<void> {
    if (kind === 'clock-skew' && this.clockDir) {
      await writeClockOffset(this.clockDir, target.name, 0);
      this.skewed.delete(target.name);
      return;
    }
    const [status] = (await this.control.list()).filter((p) => p.name === target.name);
    if (!status) return;
    if (kind === 'pause' && status.state === 'paused') await this.control.act(target.name, 'resume');
    if ((kind === 'stop' || kind === 'kill') && (status.state === 'stopped' || status.state === 'failed'))
      await this.control.act(target.name, 'start');
  }

  async state(target: ChaosTarget): Promise<TargetState> {
    const status = (await this.control.list()).find((p) => p.name === target.name);
    if (!status) return { state: 'unknown', instance: null, restarts: 0 };
    return {
      state: status.state,
      instance: status.pid === null ? null : `${status.pid}@${status.startedAt ?? ''}`,
      restarts: status.restarts,
    };
  }

  /** Resumes paused processes, then starts stopped or given-up ones, lowest tier first (Redis, data, ...). */
  async healAll(): Promise<string[]> {
    const done: string[] = [];
    for (const name of [...this.skewed]) {
      await writeClockOffset(this.clockDir!, name, 0);
      this.skewed.delete(name);
      done.push(`reset the clock of ${name}`);
    }
    const list = await this.control.list();
    for (const p of list.filter((p) => p.state === 'paused')) {
      await this.control.act(p.name, 'resume');
      done.push(`resumed ${p.name}`);
    }
    const down = list
      .filter((p) => p.state === 'stopped' || p.state === 'failed')
      .sort((a, b) => (a.tier ?? 0) - (b.tier ?? 0));
    for (const p of down) {
      try {
        await this.control.act(p.name, 'start');
        done.push(`started ${p.name}`);
      } catch (error) {
        done.push(`could not start ${p.name}: ${(error as Error).message}`);
      }
    }
    return done;
  }

  async close(): Promise<void> {
    // nothing held open: the control client uses fetch per call
  }
}
