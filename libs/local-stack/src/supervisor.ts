import { RedoubtError } from '@redoubt/errors';
import { DEFAULT_RESTART_POLICY, type RestartPolicy } from './restart-policy.js';
import type { ServiceProcess } from './service-process.js';
import {
  PROCESS_ACTIONS,
  SupervisedProcess,
  type ProcessAction,
  type ProcessStatus,
  type SupervisorEvent,
} from './supervised-process.js';

export interface SupervisorOptions {
  restartPolicy?: Partial<RestartPolicy>;
  /** How long a process gets between SIGTERM and SIGKILL when stopped. */
  stopGraceMs?: number;
}

// Every supervisor that has children, so that an exit of this process (an uncaught error, process.exit
// from anywhere) SIGKILLs the children by PID instead of leaving them orphaned on their ports.
const liveSupervisors = new Set<Supervisor>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const supervisor of liveSupervisors) supervisor.killAllNow();
  });
}

/**
 * Keeps a set of processes running: starts them tier by tier (each tier ready before the next starts),
 * restarts crashed ones by policy, and stops everything in reverse tier order, each process by PID with
 * SIGTERM and then SIGKILL for stragglers.
 */
export class Supervisor {
  readonly policy: RestartPolicy;
  readonly stopGraceMs: number;
  private readonly members = new Map<string, SupervisedProcess>();
  private readonly listeners = new Set<(event: SupervisorEvent) => void>();
  private stopping: Promise<void> | undefined;

  constructor(options: SupervisorOptions = {}) {
    this.policy = { ...DEFAULT_RESTART_POLICY, ...options.restartPolicy };
    this.stopGraceMs = options.stopGraceMs ?? 10_000;
  }

  add(
    process: ServiceProcess,
    placement: { role?: string; tier?: number; restartPolicy?: Partial<RestartPolicy> } = {},
  ): SupervisedProcess {
    if (this.members.has(process.name))
      throw new RedoubtError('INVALID_ARGUMENT', `a process named ${process.name} is already supervised`);
    const member = new SupervisedProcess({
      process,
      role: placement.role,
      tier: placement.tier,
      policy: { ...this.policy, ...placement.restartPolicy },
      stopGraceMs: this.stopGraceMs,
      emit: (event) => this.emit(event),
    });
    this.members.set(process.name, member);
    installExitHook();
    liveSupervisors.add(this);
    return member;
  }

  /** Stops a process for good (SIGTERM, then SIGKILL after the grace) and stops supervising it. */
  async remove(name: string, graceMs = this.stopGraceMs): Promise<void> {
    const member = this.get(name);
    await member.stop(graceMs);
    this.members.delete(name);
  }

  /** Subscribes to state changes, crashes, scheduled restarts and give-ups; returns the unsubscribe. */
  on(listener: (event: SupervisorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  find(name: string): SupervisedProcess | undefined {
    return this.members.get(name);
  }

  get(name: string): SupervisedProcess {
    const member = this.members.get(name);
    if (!member)
      throw new RedoubtError('NODE_NOT_FOUND', `no process named "${name}"`, {
        known: [...this.members.keys()],
      });
    return member;
  }

  processes(): SupervisedProcess[] {
    return [...this.members.values()].sort((a, b) => a.tier - b.tier);
  }

  list(): ProcessStatus[] {
    return this.processes().map((p) => p.status());
  }

  /** One request of the control API: `action` on the process called `name`. */
  async control(name: string, action: string): Promise<ProcessStatus> {
    if (!(PROCESS_ACTIONS as readonly string[]).includes(action))
      throw new RedoubtError('INVALID_ARGUMENT', `unknown action "${action}"`, {
        actions: [...PROCESS_ACTIONS],
      });
    if (this.stopping) throw new RedoubtError('FAULT_REFUSED', 'the stack is stopping');
    return this.get(name).perform(action as ProcessAction);
  }

  /**
   * Starts every process, tier by tier. If one cannot be brought up (the policy gave up on it), everything
   * started so far is stopped again and the error says which process failed.
   */
  async startAll(): Promise<void> {
    for (const tier of this.tiers()) {
      if (this.stopping) throw new RedoubtError('FAULT_REFUSED', 'the stack is stopping');
      const results = await Promise.allSettled(tier.map((p) => p.start()));
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) {
        await this.stop();
        throw failure.reason;
      }
    }
  }

  /** Stops everything in reverse tier order; idempotent, and safe to call while processes restart. */
  stop(graceMs = this.stopGraceMs): Promise<void> {
    this.stopping ??= (async () => {
      for (const tier of this.tiers().reverse()) await Promise.all(tier.map((p) => p.stop(graceMs)));
      liveSupervisors.delete(this);
    })();
    return this.stopping;
  }

  /** Last resort on exit: SIGKILL every child still alive, synchronously. */
  killAllNow(): void {
    for (const member of this.members.values()) {
      const pid = member.pid();
      if (pid === undefined) continue;
      try {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  private tiers(): SupervisedProcess[][] {
    const byTier = new Map<number, SupervisedProcess[]>();
    for (const member of this.members.values()) {
      byTier.set(member.tier, [...(byTier.get(member.tier) ?? []), member]);
    }
    return [...byTier.entries()].sort(([a], [b]) => a - b).map(([, members]) => members);
  }

  private emit(event: SupervisorEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // a listener's failure must not break supervision
      }
    }
  }
}
