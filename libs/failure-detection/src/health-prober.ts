import { EventEmitter } from 'node:events';
import {
  DEFAULT_HEALTH_POLICY,
  HealthTracker,
  type HealthPolicy,
  type HealthSnapshot,
  type HealthTransition,
} from './health-tracker.js';
import { HttpProber, probeRedis, type ProbeResult } from './probes.js';

/** A service to watch. */
export interface ProbeTarget {
  /** Unique name (data nodes: their id, other services: their name). */
  name: string;
  /** data | gateway | worker | redis | monitor | service */
  kind: string;
  /** `http://host:port` (probed at /healthz) or `redis://host:port`. */
  url: string;
}

export interface HealthProberOptions {
  targets?: readonly ProbeTarget[];
  /** Time between probes of one service. Default 250. */
  intervalMs?: number;
  /** A probe that takes longer fails. Default 400. */
  timeoutMs?: number;
  /**
   * A service that is down because nothing listens (connection refused, or the orchestrator said it is
   * gone) is probed this often instead, so its return is seen soon after it listens: a refused probe
   * costs nothing, and a restarted node's boot is what recovery waits for. Default 100.
   */
  refusingIntervalMs?: number;
  policy?: Partial<HealthPolicy>;
  /** Clock (ms), for tests of the surrounding logic. Default Date.now. */
  now?: () => number;
}

export interface HealthProberEvents {
  transition: [HealthTransition, ProbeTarget];
}

interface Watched {
  target: ProbeTarget;
  tracker: HealthTracker;
  inFlight: number;
  /** Sequence of the newest probe started and of the newest result applied (older results are dropped). */
  started: number;
  applied: number;
  /** Down with nothing listening (refused, or reported gone): probed every `refusingIntervalMs`. */
  refusing: boolean;
}

/**
 * Probes every target every `intervalMs` and turns results into health transitions. A new probe starts on
 * schedule even while the previous one still waits (at most two per target), so a hung service is found
 * by two consecutive timeouts about one interval apart instead of two timeouts back to back:
 * with 250 ms and 400 ms, a stopped process is down within about 0.9 s and a killed one (connection
 * refused) within one interval. Results are applied in the order their probes started.
 */
export class HealthProber extends EventEmitter<HealthProberEvents> {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly refusingIntervalMs: number;
  readonly policy: HealthPolicy;
  private readonly watched = new Map<string, Watched>();
  private readonly http: HttpProber;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private refusingTimer: NodeJS.Timeout | undefined;

  constructor(options: HealthProberOptions = {}) {
    super();
    this.intervalMs = options.intervalMs ?? 250;
    this.timeoutMs = options.timeoutMs ?? 400;
    this.refusingIntervalMs = options.refusingIntervalMs ?? 100;
    this.policy = { ...DEFAULT_HEALTH_POLICY, ...options.policy };
    this.now = options.now ?? Date.now;
    this.http = new HttpProber(this.timeoutMs);
    for (const target of options.targets ?? []) this.add(target);
  }

  start(): void {
    if (this.timer) return;
    this.round();
    this.timer = setInterval(() => this.round(), this.intervalMs);
    if (this.refusingIntervalMs < this.intervalMs)
      this.refusingTimer = setInterval(() => this.refusingRound(), this.refusingIntervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.refusingTimer) clearInterval(this.refusingTimer);
    this.timer = undefined;
    this.refusingTimer = undefined;
    await this.http.close();
  }

  add(target: ProbeTarget): void {
    const existing = this.watched.get(target.name);
    if (existing) {
      existing.target = target;
      return;
    }
    this.watched.set(target.name, {
      target,
      tracker: new HealthTracker(target.name, this.policy, this.now()),
      inFlight: 0,
      started: 0,
      applied: 0,
      refusing: false,
    });
  }

  remove(name: string): void {
    this.watched.delete(name);
  }

  targets(): ProbeTarget[] {
    return [...this.watched.values()].map((w) => w.target);
  }

  has(name: string): boolean {
    return this.watched.has(name);
  }

  state(name: string): HealthSnapshot | undefined {
    return this.watched.get(name)?.tracker.snapshot();
  }

  snapshot(): (HealthSnapshot & { kind: string; url: string })[] {
    return [...this.watched.values()].map((w) => ({
      ...w.tracker.snapshot(),
      kind: w.target.kind,
      url: w.target.url,
    }));
  }

  /** An outside source (the orchestrator's events) says the service is gone: down without waiting for probes. */
  reportGone(name: string, cause: string): void {
    const watched = this.watched.get(name);
    if (!watched) return;
    // Probes already on their way may have been answered before the service went: their results are stale.
    watched.applied = watched.started + 1;
    watched.refusing = true;
    this.publish(watched, watched.tracker.reportGone(this.now(), cause));
  }

  /** Probes one target now and applies the result (also used right after a recovery action). */
  async probeNow(name: string): Promise<ProbeResult | undefined> {
    const watched = this.watched.get(name);
    if (!watched) return undefined;
    return this.probe(watched);
  }

  private round(): void {
    const now = this.now();
    for (const watched of this.watched.values()) {
      this.publish(watched, watched.tracker.tick(now));
      if (watched.inFlight < 2) void this.probe(watched);
    }
  }

  /** Between rounds: the services that refuse connections, one probe at a time each. */
  private refusingRound(): void {
    for (const watched of this.watched.values())
      if (watched.refusing && watched.inFlight === 0) void this.probe(watched);
  }

  private async probe(watched: Watched): Promise<ProbeResult> {
    const sequence = ++watched.started;
    watched.inFlight += 1;
    let result: ProbeResult;
    try {
      result = watched.target.url.startsWith('redis')
        ? await probeRedis(watched.target.url, this.timeoutMs)
        : await this.http.probe(watched.target.url);
    } finally {
      watched.inFlight -= 1;
    }
    // A target removed or replaced meanwhile, or a newer probe already applied: drop this result.
    if (this.watched.get(watched.target.name) !== watched || sequence < watched.applied) return result;
    watched.applied = sequence;
    watched.refusing = !result.ok && result.definitive === true;
    const at = this.now();
    this.publish(
      watched,
      result.ok
        ? watched.tracker.success(at, result.latencyMs)
        : watched.tracker.failure(at, result.error ?? 'failed', result.definitive),
    );
    return result;
  }

  private publish(watched: Watched, transition: HealthTransition | undefined): void {
    if (!transition) return;
    try {
      this.emit('transition', transition, watched.target);
    } catch {
      // a listener's failure must not stop probing
    }
  }
}
