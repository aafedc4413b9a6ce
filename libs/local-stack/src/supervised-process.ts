import { RedoubtError } from '@redoubt/errors';
import { processStopped } from './process-identity.js';
import { restartDelay, type RestartPolicy } from './restart-policy.js';
import type { ExitInfo, ServiceProcess } from './service-process.js';

/**
 * - `starting`: launched, waiting for readiness
 * - `running`: ready (or, for processes without a readiness check, launched)
 * - `paused`: SIGSTOP (a hung process: alive, answers nothing), whether by `pause` or by a signal sent
 *   from outside (seen as state `T` in /proc)
 * - `backoff`: crashed, waiting to be restarted
 * - `stopping` / `stopped`: stopped on purpose (stop, kill, or the whole stack stopping); not restarted
 * - `failed`: crashed too often in a row; the supervisor gave up and does not restart it
 */
export type ProcessState = 'starting' | 'running' | 'paused' | 'backoff' | 'stopping' | 'stopped' | 'failed';

export interface ProcessStatus {
  name: string;
  role: string;
  tier: number;
  pid: number | null;
  state: ProcessState;
  /** Starts after the first one, whether by the supervisor after a crash or on request. */
  restarts: number;
  /** Exits nobody asked for (and starts that never became ready), over the process's life. */
  crashes: number;
  /** Rapid crashes in a row; reaching the policy's limit means giving up. */
  consecutiveCrashes: number;
  startedAt: string | null;
  lastExit: { code: number | null; signal: string | null; at: string } | null;
}

export type SupervisorEvent =
  | { type: 'state'; name: string; state: ProcessState; pid: number | null }
  | { type: 'crashed'; name: string; exit: ExitInfo | undefined; consecutive: number; reason: string }
  | { type: 'restart-scheduled'; name: string; delayMs: number; attempt: number }
  | { type: 'gave-up'; name: string; crashes: number; windowMs: number; reason: string };

/** What the control API can ask of a process. */
export const PROCESS_ACTIONS = ['start', 'stop', 'kill', 'crash', 'restart', 'pause', 'resume'] as const;
export type ProcessAction = (typeof PROCESS_ACTIONS)[number];

export interface SupervisedProcessOptions {
  process: ServiceProcess;
  /** What the process is in the stack (e.g. `data`, `gateway`); free text for the supervisor. */
  role?: string;
  /** Start order: lower tiers start first and stop last. */
  tier?: number;
  policy: RestartPolicy;
  stopGraceMs: number;
  emit: (event: SupervisorEvent) => void;
}

/**
 * A `ServiceProcess` under supervision. Exits nobody asked for are crashes: the process is started again
 * after a growing delay, and given up on after too many rapid crashes in a row. Requests (stop, kill,
 * restart...) are serialised per process; each one starts a new "generation", so a restart loop or a
 * readiness wait of an older generation notices it was overtaken and leaves the process alone.
 *
 * `kill` and `stop` behave like `docker kill`/`docker stop`: the process stays down until someone starts
 * it (that is the monitor's job). `crash` is a SIGKILL the supervisor is not told about, like a process
 * dying inside a container: it is restarted by policy.
 */
export class SupervisedProcess {
  readonly role: string;
  readonly tier: number;
  private state: ProcessState = 'stopped';
  private generation = 0;
  private restarts = 0;
  private crashes = 0;
  private consecutiveCrashes = 0;
  private startedAt: number | undefined;
  private lastExitAt: number | undefined;
  private everStarted = false;
  private backoff: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  private requests: Promise<unknown> = Promise.resolve();
  private statusListeners = new Set<(status: ProcessStatus) => void>();

  constructor(private readonly options: SupervisedProcessOptions) {
    this.role = options.role ?? options.process.name;
    this.tier = options.tier ?? 0;
    options.process.onExit(() => {
      this.lastExitAt = Date.now();
    });
  }

  get name(): string {
    return this.options.process.name;
  }

  /** The process underneath (its options, command line, last exit). */
  get process(): ServiceProcess {
    return this.options.process;
  }

  pid(): number | undefined {
    return this.options.process.pid();
  }

  running(): boolean {
    return this.options.process.running();
  }

  status(): ProcessStatus {
    const exit = this.options.process.lastExit();
    return {
      name: this.name,
      role: this.role,
      tier: this.tier,
      pid: this.pid() ?? null,
      state: this.stoppedFromOutside() ? 'paused' : this.state,
      restarts: this.restarts,
      crashes: this.crashes,
      consecutiveCrashes: this.consecutiveCrashes,
      startedAt: this.startedAt ? new Date(this.startedAt).toISOString() : null,
      lastExit:
        exit && this.lastExitAt
          ? { code: exit.code, signal: exit.signal, at: new Date(this.lastExitAt).toISOString() }
          : null,
    };
  }

  /** Starts it (if it is not already up) and resolves once it is ready; rejects if the supervisor gives up. */
  async start(): Promise<ProcessStatus> {
    await this.request(async () => {
      if (this.state !== 'stopped' && this.state !== 'failed') return;
      this.launch(true);
    });
    return this.untilSettled();
  }

  /** SIGTERM, then SIGKILL after the grace period; stays down. */
  async stop(graceMs = this.options.stopGraceMs): Promise<ProcessStatus> {
    return this.request(async () => {
      this.takeOver();
      if (this.running()) {
        this.setState('stopping');
        await this.options.process.stop(graceMs);
      }
      this.setState('stopped');
      return this.status();
    });
  }

  /** SIGKILL; stays down (like `docker kill`). */
  async kill(): Promise<ProcessStatus> {
    return this.request(async () => {
      this.takeOver();
      await this.options.process.kill();
      this.setState('stopped');
      return this.status();
    });
  }

  /** SIGKILL behind the supervisor's back: a crash, which the restart policy then handles. */
  async crash(): Promise<ProcessStatus> {
    return this.request(async () => {
      if (!this.running())
        throw new RedoubtError('FAULT_REFUSED', `${this.name} is not running (state ${this.state})`);
      const gone = this.options.process.exited();
      this.options.process.signal('SIGKILL');
      await gone;
      return this.status();
    });
  }

  /** Clean stop, then start again; resolves once it is ready. */
  async restart(graceMs = this.options.stopGraceMs): Promise<ProcessStatus> {
    await this.request(async () => {
      this.takeOver();
      if (this.running()) {
        this.setState('stopping');
        await this.options.process.stop(graceMs);
      }
      this.launch(true);
    });
    return this.untilSettled();
  }

  /** SIGSTOP: the process stays alive but answers nothing, as a hung node would. */
  async pause(): Promise<ProcessStatus> {
    return this.request(async () => {
      if (this.state !== 'running')
        throw new RedoubtError('FAULT_REFUSED', `${this.name} is not running (state ${this.state})`);
      this.options.process.pause();
      this.setState('paused');
      return this.status();
    });
  }

  /** SIGCONT after a pause (ours, or a SIGSTOP sent from outside). */
  async resume(): Promise<ProcessStatus> {
    return this.request(async () => {
      if (this.state !== 'paused' && !this.stoppedFromOutside())
        throw new RedoubtError('FAULT_REFUSED', `${this.name} is not paused (state ${this.state})`);
      this.options.process.resume();
      this.setState('running');
      return this.status();
    });
  }

  /** Running as far as the supervisor knows, but stopped by a signal someone else sent (`kill -STOP`). */
  private stoppedFromOutside(): boolean {
    const pid = this.pid();
    return this.state === 'running' && pid !== undefined && processStopped(pid);
  }

  perform(action: ProcessAction): Promise<ProcessStatus> {
    switch (action) {
      case 'start':
        return this.start();
      case 'stop':
        return this.stop();
      case 'kill':
        return this.kill();
      case 'crash':
        return this.crash();
      case 'restart':
        return this.restart();
      case 'pause':
        return this.pause();
      case 'resume':
        return this.resume();
    }
  }

  /** Resolves with the status once `predicate` holds (checked on every change); rejects after `timeoutMs`. */
  waitFor(predicate: (status: ProcessStatus) => boolean, timeoutMs: number): Promise<ProcessStatus> {
    const now = this.status();
    if (predicate(now)) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.statusListeners.delete(listener);
        reject(
          new RedoubtError(
            'REPLICA_TIMEOUT',
            `${this.name}: condition not reached within ${timeoutMs} ms (state ${this.state})`,
          ),
        );
      }, timeoutMs);
      const listener = (status: ProcessStatus) => {
        if (!predicate(status)) return;
        clearTimeout(timer);
        this.statusListeners.delete(listener);
        resolve(status);
      };
      this.statusListeners.add(listener);
    });
  }

  /** Runs requests one after another, so a restart and a kill arriving together do not interleave. */
  private request<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.requests.then(fn);
    this.requests = result.catch(() => undefined);
    return result;
  }

  /** A request now owns the process: whatever loop or backoff was running stops acting on it. */
  private takeOver(): number {
    this.generation += 1;
    if (this.backoff) {
      clearTimeout(this.backoff.timer);
      this.backoff.wake();
      this.backoff = undefined;
    }
    return this.generation;
  }

  private launch(byRequest: boolean): void {
    const generation = this.takeOver();
    if (byRequest) this.consecutiveCrashes = 0;
    if (this.everStarted) this.restarts += 1;
    this.everStarted = true;
    void this.run(generation).catch((error: unknown) => {
      // The loop only awaits the process; an error here is a bug, but it must not take the stack down.
      this.options.emit({
        type: 'gave-up',
        name: this.name,
        crashes: this.consecutiveCrashes,
        windowMs: this.options.policy.rapidCrashWindowMs,
        reason: `supervisor error: ${(error as Error).message}`,
      });
      this.setState('failed');
    });
  }

  /** Resolves when the process is up; rejects when it stopped or was given up on instead. */
  private async untilSettled(): Promise<ProcessStatus> {
    const status = await this.waitFor(
      (s) => s.state === 'running' || s.state === 'paused' || s.state === 'failed' || s.state === 'stopped',
      24 * 3600_000,
    );
    if (status.state === 'failed')
      throw new RedoubtError(
        'REPLICA_UNAVAILABLE',
        `${this.name} did not come up: it crashed ${status.consecutiveCrashes} times in a row and was given up`,
        { name: this.name },
      );
    if (status.state === 'stopped')
      throw new RedoubtError('REPLICA_UNAVAILABLE', `${this.name} was stopped before it was ready`, {
        name: this.name,
      });
    return status;
  }

  private async run(generation: number): Promise<void> {
    const { policy } = this.options;
    const current = () => this.generation === generation;
    while (current()) {
      this.startedAt = Date.now();
      this.setState('starting');
      let reason: string;
      try {
        await this.options.process.start();
        if (!current()) return;
        if (this.running()) {
          this.setState('running');
          await this.options.process.exited();
          if (!current()) return;
        }
        const exit = this.options.process.lastExit();
        reason = `exited (${exit?.signal ?? `code ${exit?.code}`})`;
      } catch (error) {
        if (!current()) return;
        reason = (error as Error).message;
        // Started but never became ready: a hung start is a failed start.
        if (this.running()) await this.options.process.kill();
        if (!current()) return;
      }

      this.crashes += 1;
      const rapid = Date.now() - this.startedAt < policy.rapidCrashWindowMs;
      this.consecutiveCrashes = rapid ? this.consecutiveCrashes + 1 : 1;
      this.options.emit({
        type: 'crashed',
        name: this.name,
        exit: this.options.process.lastExit(),
        consecutive: this.consecutiveCrashes,
        reason,
      });
      if (this.consecutiveCrashes >= policy.maxRapidCrashes) {
        this.options.emit({
          type: 'gave-up',
          name: this.name,
          crashes: this.consecutiveCrashes,
          windowMs: policy.rapidCrashWindowMs,
          reason,
        });
        this.setState('failed');
        return;
      }
      const delayMs = restartDelay(policy, this.consecutiveCrashes);
      this.options.emit({
        type: 'restart-scheduled',
        name: this.name,
        delayMs,
        attempt: this.consecutiveCrashes,
      });
      this.setState('backoff');
      let pending: { timer: NodeJS.Timeout; wake: () => void } | undefined;
      await new Promise<void>((wake) => {
        pending = { timer: setTimeout(wake, delayMs), wake };
        this.backoff = pending;
      });
      if (this.backoff === pending) this.backoff = undefined;
      if (!current()) return;
      this.restarts += 1;
    }
  }

  private setState(state: ProcessState): void {
    this.state = state;
    this.options.emit({ type: 'state', name: this.name, state, pid: this.pid() ?? null });
    const status = this.status();
    for (const listener of [...this.statusListeners]) listener(status);
  }
}
