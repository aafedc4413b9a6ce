import type { Queue } from 'bullmq';
import type { DataNodeApi } from '@redoubt/cluster-client';
import { isRedoubtError, RedoubtError } from '@redoubt/errors';
import type { HealthProber, HealthTransition } from '@redoubt/failure-detection';
import type {
  EventLog,
  LeaderInfo,
  LeaderLease,
  NodeAddress,
  NodeRecord,
  NodeRegistry,
  PlacementStore,
  PlacementSubscriber,
  RecoveryEvent,
} from '@redoubt/membership';
import type { OrchestratorDriver, RuntimeAction, RuntimeEvent } from '@redoubt/orchestrator';
import type { PlacementMatrix } from '@redoubt/placement';
import type { JobProducer } from '@redoubt/queues';
import type { Logger } from '@redoubt/telemetry';
import type { ClusterStatus, NodeStatus } from './cluster-status.js';
import { IncidentBook } from './incident-book.js';
import { emptyPreview, type ChangePreview, type MembershipChange } from './move-planning.js';
import { readPartitionSizes, type PartitionSizes } from './partition-sizes.js';
import { readPendingMoves, type PendingMovesSnapshot } from './pending-moves.js';
import { PlacementChanger } from './placement-changer.js';
import {
  actionBackoffMs,
  decideAction,
  type DecisionSettings,
  DEFAULT_DECISION_SETTINGS,
} from './recovery-decision.js';
import { redundancyOf } from './redundancy.js';

/** A service the monitor watches and keeps running. */
export interface WatchedService {
  /** Data nodes: their id (`d1`); others: a name (`gw-1`, `redis`). */
  name: string;
  /** data | gateway | worker | redis | monitor | service */
  kind: string;
  url: string;
  /** The orchestrator's name for it (process name, compose service). */
  orchestratorName: string;
  /** Data nodes: failure domain and capacity weight. */
  zone?: string;
  weight?: number;
}

/** Hooks for metrics. */
export interface RecoveryObserver {
  detected?(kind: string, seconds: number | null): void;
  recovered?(kind: string, seconds: number): void;
  action?(kind: string, action: string, result: 'ok' | 'failed'): void;
}

export interface RecoverySettings {
  monitorId: string;
  monitorUrl: string;
  partitions: number;
  replicas: number;
  writeQuorum: number;
  bandwidthBytesPerSecond: number;
  /** Enqueue repairs of a data node's partitions when it comes back within the grace period. Default true. */
  repairOnReturn?: boolean;
  decision?: Partial<DecisionSettings>;
  /** Main loop cadence. Default 250. */
  reconcileIntervalMs?: number;
  /** Reading queues, membership and pending moves. Default 1000. */
  refreshIntervalMs?: number;
  /** Reading partition sizes from the data nodes. Default 30000. */
  sizesIntervalMs?: number;
}

export interface RecoveryDeps {
  prober: HealthProber;
  driver: OrchestratorDriver;
  lease: LeaderLease;
  store: PlacementStore;
  subscriber: PlacementSubscriber;
  registry: NodeRegistry;
  events: EventLog;
  producer: JobProducer;
  /** The rebalance-move queue (pending moves) and every queue whose depth the status shows. */
  moveQueue: Queue;
  queues: readonly Queue[];
  /** A client of a data node (for partition sizes). */
  dataNode: (address: NodeAddress) => DataNodeApi;
  logger: Logger;
  observer?: RecoveryObserver;
  /**
   * How the orchestrator calls a data node known only at run time (added by an operator, or read back from
   * membership): the monitor's naming rules (`orchestratorName`: `d4` -> `data-4` under the local
   * supervisor, the URL's host under Docker or Kubernetes). Default: the node id.
   */
  orchestratorNameOf?: (service: { name: string; url: string }) => string;
}

const ACTIONS_IDEMPOTENT: readonly RuntimeAction[] = ['start', 'unpause', 'reconnect'];

/**
 * The automated operator. Every monitor probes every service and keeps its own view; the one holding the
 * leader lease acts:
 *
 * - a service that is down is brought back through the orchestrator (decideAction: start, unpause,
 *   reconnect, restart), retried with growing pauses while it stays down;
 * - a data node dead past the grace period is evicted: the next epoch without it is published and its
 *   replicas rebuilt elsewhere by move jobs, riskiest partitions first;
 * - a data node that returns within the grace period gets its partitions repaired; one that returns after
 *   eviction is placed again (rebalanced back in) once earlier moves are done;
 * - drains, removals and additions requested by an operator are applied the same way.
 *
 * Redis itself is special: without it there is no lease, so the monitor that led last keeps acting on
 * Redis for a while, and after twice the lease TTL any monitor may start (never restart) it.
 */
export class RecoveryController {
  readonly incidents: IncidentBook;
  private readonly changer: PlacementChanger;
  private readonly services = new Map<string, WatchedService>();
  private readonly byOrchestratorName = new Map<string, string>();
  private readonly members = new Map<string, NodeRecord>();
  private readonly busy = new Set<string>();
  private readonly nextActionAt = new Map<string, number>();
  private readonly decision: DecisionSettings;
  private loopTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private ticking = false;
  private refreshing = false;
  private stopped = false;
  private unwatch: (() => void) | undefined;
  private placementLock: Promise<unknown> = Promise.resolve();
  private pending: PendingMovesSnapshot | undefined;
  private sizes: PartitionSizes | undefined;
  private queueDepths: Record<string, Record<string, number>> = {};
  private sharedEvents: RecoveryEvent[] | undefined;
  private leaderSeen: LeaderInfo | undefined;
  private lastChangeAt = 0;
  private lastLeaderAt = 0;
  private evictionRetryAt = 0;
  private leading = false;
  private electing: Promise<void> | undefined;
  private readonly repairsUntil = new Map<string, number>();
  private notes: string[] = [];

  constructor(
    private readonly settings: RecoverySettings,
    services: readonly WatchedService[],
    private readonly deps: RecoveryDeps,
  ) {
    this.decision = { ...DEFAULT_DECISION_SETTINGS, ...settings.decision };
    this.incidents = new IncidentBook(deps.events, settings.monitorId, deps.logger);
    this.changer = new PlacementChanger({
      store: deps.store,
      subscriber: deps.subscriber,
      lease: deps.lease,
      producer: deps.producer,
      logger: deps.logger,
      monitorId: settings.monitorId,
      writeQuorum: settings.writeQuorum,
      bandwidthBytesPerSecond: settings.bandwidthBytesPerSecond,
    });
    for (const service of services) this.watch(service);
  }

  start(): void {
    const { prober, driver, lease } = this.deps;
    prober.on('transition', (transition) => this.onTransition(transition));
    this.unwatch = driver.watch((event) => this.onRuntimeEvent(event));
    lease.on('elected', () => void this.takeOver());
    lease.on('deposed', (reason) => {
      this.leading = false;
      this.deps.logger.warn({ reason }, 'no longer the leader');
    });
    prober.start();
    this.loopTimer = setInterval(() => void this.tick(), this.settings.reconcileIntervalMs ?? 250);
    this.refreshTimer = setInterval(() => void this.refresh(), this.settings.refreshIntervalMs ?? 1_000);
    void this.refresh();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.loopTimer) clearInterval(this.loopTimer);
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.unwatch?.();
    await this.electing;
    await this.placementLock.catch(() => undefined);
  }

  isLeader(): boolean {
    return this.leading && this.deps.lease.isLeader();
  }

  /** What `GET /v1/cluster` answers. */
  async status(eventLimit = 20): Promise<ClusterStatus> {
    const matrix = this.deps.subscriber.current();
    const probes = new Map(this.deps.prober.snapshot().map((s) => [s.target, s]));
    const held = matrix ? replicaCounts(matrix) : new Map<string, { replicas: number; primaries: number }>();
    const nodes: NodeStatus[] = [...this.dataNodes()].map((service) => {
      const probe = probes.get(service.name);
      const member = this.members.get(service.name);
      return {
        id: service.name,
        url: service.url,
        zone: member?.zone ?? service.zone ?? service.name,
        weight: member?.weight ?? service.weight ?? 1,
        membership:
          member?.state ?? (matrix?.servers.some((s) => s.id === service.name) ? 'active' : 'joining'),
        health: probe?.state ?? 'unknown',
        healthSince: probe?.since ?? 0,
        lastOkAt: probe?.lastOkAt ?? null,
        lastError: probe?.lastError ?? null,
        replicas: held.get(service.name)?.replicas ?? 0,
        primaries: held.get(service.name)?.primaries ?? 0,
        ...(member?.note ? { note: member.note } : {}),
      };
    });
    const services = [...this.services.values()].map((service) => {
      const probe = probes.get(service.name);
      return {
        name: service.name,
        kind: service.kind,
        url: service.url,
        orchestratorName: service.orchestratorName,
        health: probe?.state ?? 'unknown',
        since: probe?.since ?? 0,
        lastOkAt: probe?.lastOkAt ?? null,
        lastError: probe?.lastError ?? null,
        latencyMs:
          probe?.latencyMs === null || probe?.latencyMs === undefined
            ? null
            : Math.round(probe.latencyMs * 10) / 10,
      };
    });
    const redundancy = this.redundancy();
    const leader = this.isLeader() ? this.deps.lease.lastKnownLeader() : this.leaderSeen;
    // The leader's log is the shared one; a follower shows its own observations only while Redis is away.
    const local = this.incidents.recent(eventLimit);
    const events = (
      this.isLeader() ? mergeEvents(this.sharedEvents ?? [], local) : (this.sharedEvents ?? local)
    ).slice(0, eventLimit);
    return {
      monitor: {
        id: this.settings.monitorId,
        url: this.settings.monitorUrl,
        leader: this.isLeader(),
        leaderId: leader?.id ?? null,
        leaderUrl: leader?.url ?? null,
        orchestrator: this.deps.driver.kind,
        redis: this.deps.subscriber.redisUp() ? 'up' : 'down',
        at: Date.now(),
      },
      placement: {
        epoch: matrix?.epoch ?? 0,
        partitions: matrix?.partitions ?? this.settings.partitions,
        replicas: matrix?.replicas ?? this.settings.replicas,
        writeQuorum: this.settings.writeQuorum,
        source: this.deps.subscriber.source(),
        servers: matrix?.servers.map((s) => s.id) ?? [],
      },
      nodes,
      services,
      redundancy,
      queues: this.queueDepths,
      events,
      notes: this.notes,
    };
  }

  /** Partitions below R and W and the time to full redundancy, from the current view. */
  redundancy(): ClusterStatus['redundancy'] {
    const matrix = this.deps.subscriber.current();
    const pending = this.pending;
    const base = matrix
      ? redundancyOf(
          matrix,
          (node) => this.isLive(node),
          pending?.unfilled ?? new Set(),
          this.settings.writeQuorum,
        )
      : { epoch: 0, belowR: 0, belowW: 0, unavailable: 0 };
    let pendingBytes = 0;
    for (const partition of pending?.partitions ?? []) pendingBytes += this.sizes?.bytes.get(partition) ?? 0;
    return {
      ...base,
      pendingMoves: pending?.pending ?? 0,
      failedMoves: pending?.failed ?? 0,
      pendingBytes,
      estimatedSecondsToFullRedundancy:
        Math.round((pendingBytes / Math.max(1, this.settings.bandwidthBytesPerSecond)) * 10) / 10,
      movesReadAt: pending?.readAt ?? null,
    };
  }

  /** A preview of an operator change (no state changes); sizes are read from the data nodes first. */
  async preview(change: MembershipChange): Promise<ChangePreview> {
    const matrix = this.changer.current();
    if (change.kind === 'remove' && !matrix.servers.some((s) => s.id === change.node)) {
      if (!this.members.has(change.node) && !this.services.has(change.node))
        throw new RedoubtError('NODE_NOT_FOUND', `no data node ${change.node}`, { node: change.node });
      return emptyPreview(matrix, change, this.settings.bandwidthBytesPerSecond);
    }
    const sizes = await this.readSizes();
    return this.changer.preview(change, this.sizeContext(sizes));
  }

  /**
   * Applies an operator change (leader only): add a node, drain one, or remove one (drain, then forget).
   * Refused while moves of an earlier change are pending unless `force`; with `expectedEpoch`, refused if
   * the placement changed since the preview.
   */
  async applyOperatorChange(
    change:
      | { kind: 'drain' | 'remove'; node: string }
      | { kind: 'add'; node: string; url: string; zone?: string; weight?: number },
    options: { expectedEpoch?: number; force?: boolean } = {},
  ): Promise<{ preview: ChangePreview | null; epoch: number; event: RecoveryEvent }> {
    if (!this.isLeader()) throw this.notLeader();
    return this.withPlacementLock(async () => {
      if (!this.isLeader()) throw this.notLeader();
      const matrix = this.changer.current();
      await this.refreshPendingMoves(matrix.epoch);
      const pendingMoves = this.pending?.pending ?? 0;
      if (pendingMoves > 0 && !options.force)
        throw new RedoubtError(
          'NODE_STATE_CONFLICT',
          `${pendingMoves} moves of an earlier change are still pending; wait for them or force the change`,
          { pendingMoves },
        );
      const at = Date.now();
      if (change.kind === 'add') return this.addNode(change, matrix, options.expectedEpoch, at);
      const member = this.members.get(change.node);
      if (!member && !this.services.has(change.node))
        throw new RedoubtError('NODE_NOT_FOUND', `no data node ${change.node}`, { node: change.node });
      const inPlacement = matrix.servers.some((s) => s.id === change.node);
      const event = this.incidents.record({
        target: change.node,
        kind: 'operator',
        fault: change.kind,
        cause: `${change.kind} requested`,
        at,
      });
      if (!inPlacement) {
        if (change.kind === 'drain')
          throw new RedoubtError(
            'NODE_STATE_CONFLICT',
            `${change.node} holds no partitions in epoch ${matrix.epoch}`,
            { node: change.node },
          );
        await this.forgetNode(change.node, 'removed by an operator');
        this.incidents.act(event, {
          action: 'remove',
          result: 'ok',
          detail: 'not in the placement: forgotten',
        });
        event.status = 'closed';
        return { preview: null, epoch: matrix.epoch, event };
      }
      const sizes = await this.readSizes();
      const applied = await this.changer.apply(
        { kind: change.kind, node: change.node },
        {
          ...this.sizeContext(sizes),
          nodes: this.addresses(),
          reason: `${change.kind} ${change.node} (operator)`,
          expectedEpoch: options.expectedEpoch,
        },
      );
      this.lastChangeAt = Date.now();
      await this.setMembership(
        change.node,
        change.kind === 'drain' ? 'draining' : 'removing',
        `${change.kind} requested at epoch ${matrix.epoch}`,
      );
      this.incidents.act(event, {
        action: change.kind,
        result: 'ok',
        detail: `epoch ${applied.next.epoch}: ${applied.moves.length} moves`,
      });
      event.epochs.push(epochChange(applied.preview));
      this.incidents.awaitEpoch(event, applied.next.epoch, 'open');
      return { preview: applied.preview, epoch: applied.next.epoch, event };
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // detection

  private onTransition(transition: HealthTransition): void {
    const service = this.services.get(transition.target);
    if (!service) return;
    const leader = this.isLeader();
    if (service.kind === 'data') this.noteHealth(service.name, transition.to);
    switch (transition.to) {
      case 'down': {
        const { event, created } = this.incidents.openIncident({
          target: service.name,
          kind: service.kind,
          fault: 'down',
          cause: transition.cause,
          detectedAt: transition.at,
          lastOkAt: transition.lastOkAt,
        });
        if (created) {
          this.deps.logger.warn(
            { service: service.name, cause: transition.cause, detectMs: event.timeToDetectMs },
            'service down',
          );
          if (leader)
            this.deps.observer?.detected?.(
              service.kind,
              event.timeToDetectMs === null ? null : event.timeToDetectMs / 1000,
            );
        }
        return;
      }
      case 'dead': {
        const event = this.incidents.openFor(service.name);
        if (event) {
          event.fault = 'dead';
          this.incidents.act(event, {
            action: 'declare-dead',
            result: 'ok',
            detail: transition.cause,
            at: transition.at,
          });
        }
        this.deps.logger.error({ service: service.name, cause: transition.cause }, 'service dead');
        return;
      }
      case 'up':
        // While an action runs (a restart passes through up and down), the action's end decides.
        if (!this.busy.has(service.name)) this.closeIncident(service, transition.at);
        return;
      default:
        return;
    }
  }

  private closeIncident(service: WatchedService, at: number): void {
    const event = this.incidents.recovered(service.name, at);
    if (!event) return;
    const leader = this.isLeader();
    this.deps.logger.info({ service: service.name, recoverMs: event.timeToRecoverMs }, 'service back');
    if (leader && event.timeToRecoverMs !== null)
      this.deps.observer?.recovered?.(service.kind, event.timeToRecoverMs / 1000);
    if (service.kind === 'data' && leader) void this.afterReturn(service.name, event);
  }

  private onRuntimeEvent(event: RuntimeEvent): void {
    const name = this.byOrchestratorName.get(event.name);
    if (!name) return;
    if (event.kind === 'back') {
      void this.deps.prober.probeNow(name);
      return;
    }
    this.deps.prober.reportGone(name, event.detail);
  }

  // ---------------------------------------------------------------------------------------------------
  // the loop

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      const leader = this.isLeader();
      if (this.deps.lease.isLeader() && !this.leading) void this.takeOver();
      if (leader) {
        this.lastLeaderAt = Date.now();
        await this.incidents.flush();
      }
      for (const event of this.incidents.openIncidents()) this.maybeAct(event, leader);
      if (leader) await this.withPlacementLock(() => this.placementDecisions());
    } catch (error) {
      this.deps.logger.debug({ err: error }, 'reconcile step failed; retrying');
    } finally {
      this.ticking = false;
    }
  }

  private maybeAct(event: RecoveryEvent, leader: boolean): void {
    const service = this.services.get(event.target);
    if (!service || this.busy.has(service.name)) return;
    const now = Date.now();
    if (now < (this.nextActionAt.get(service.name) ?? 0)) return;
    const probe = this.deps.prober.state(service.name);
    if (!probe || (probe.state !== 'down' && probe.state !== 'dead') || probe.downSince === null) return;
    const permission = this.permission(service, probe.downSince, leader);
    if (permission === 'none') return;
    this.busy.add(service.name);
    void (async () => {
      let action: RuntimeAction | undefined;
      try {
        const runtime = await this.deps.driver.status(service.orchestratorName);
        const lastStart = event.actions.findLast(
          (a) => (a.action === 'start' || a.action === 'restart') && a.result === 'ok',
        );
        const decision = decideAction(
          runtime,
          Date.now() - probe.downSince!,
          this.deps.driver.kind,
          this.decision,
          {
            sinceStartedMs: lastStart ? Date.now() - lastStart.at : undefined,
            unansweredShare: this.unansweredShare(),
          },
        );
        if ('wait' in decision) {
          // Noted once per reason, so the log says why nothing was done without repeating it.
          if (event.actions.at(-1)?.detail !== decision.wait)
            this.incidents.act(event, { action: 'wait', result: 'skipped', detail: decision.wait });
          this.nextActionAt.set(service.name, Date.now() + 250);
          return;
        }
        action = decision.act;
        if (permission === 'idempotent' && !ACTIONS_IDEMPOTENT.includes(action)) return;
        this.deps.logger.warn({ service: service.name, action, reason: decision.reason }, 'recovery action');
        await this.deps.driver.perform(service.orchestratorName, action);
        this.incidents.act(event, { action, result: 'ok', detail: decision.reason });
        this.deps.observer?.action?.(service.kind, action, 'ok');
        await this.deps.prober.probeNow(service.name);
      } catch (error) {
        const message = (error as Error).message;
        if (action) {
          this.incidents.act(event, { action, result: 'failed', detail: message });
          this.deps.observer?.action?.(service.kind, action, 'failed');
        }
        this.deps.logger.warn(
          { service: service.name, action: action ?? 'status', err: message },
          'recovery action failed',
        );
      } finally {
        const attempts = event.actions.filter((a) => a.action === action).length;
        if (action) this.nextActionAt.set(service.name, Date.now() + actionBackoffMs(attempts));
        else if (
          !this.nextActionAt.has(service.name) ||
          (this.nextActionAt.get(service.name) ?? 0) < Date.now()
        )
          this.nextActionAt.set(service.name, Date.now() + 1_000);
        this.busy.delete(service.name);
        // Up again while the action ran (its 'up' transition was held back): the incident ends now.
        if (this.deps.prober.state(service.name)?.state === 'up') this.closeIncident(service, Date.now());
      }
    })();
  }

  /**
   * The share of the watched services (probed at least once) that do not answer now or failed a probe
   * within the last 5 s. On a starved machine services flap (late answers, then timeouts) at different
   * moments, so "not up right now" alone undercounts them; one hung service leaves the others' records clean.
   */
  private unansweredShare(): number {
    const probed = this.deps.prober.snapshot().filter((s) => s.state !== 'unknown');
    if (probed.length === 0) return 0;
    const recent = Date.now() - 5_000;
    return (
      probed.filter((s) => s.state !== 'up' || (s.lastFailureAt !== null && s.lastFailureAt > recent))
        .length / probed.length
    );
  }

  /** Who may act on a service: the leader on anything; on Redis, when Redis is down, the last leader or anyone (idempotent actions only) after a while. */
  private permission(
    service: WatchedService,
    downSince: number,
    leader: boolean,
  ): 'all' | 'idempotent' | 'none' {
    if (leader) return 'all';
    if (service.kind !== 'redis') return 'none';
    const ttl = this.deps.lease.ttlMs;
    if (Date.now() - this.lastLeaderAt < ttl * 3) return 'all';
    if (Date.now() - downSince > ttl * 2) return 'idempotent';
    return 'none';
  }

  // ---------------------------------------------------------------------------------------------------
  // placement decisions (leader only, under the placement lock)

  private async placementDecisions(): Promise<void> {
    if (!this.isLeader()) return;
    await this.changer.retryUnqueued();
    const matrix = this.deps.subscriber.current();
    if (!matrix) return;
    const now = Date.now();
    const notes: string[] = [];

    // 1. Evict dead data nodes that still hold partitions.
    const dead = matrix.servers
      .map((s) => s.id)
      .filter((id) => this.deps.prober.state(id)?.state === 'dead' && this.services.get(id)?.kind === 'data');
    if (dead.length > 0 && now >= this.evictionRetryAt) {
      await this.evict(dead, matrix);
      return;
    }

    // 2. Evicted nodes that answer again want back in.
    for (const member of this.members.values()) {
      if (
        member.state === 'evicted' &&
        this.isUp(member.id) &&
        !matrix.servers.some((s) => s.id === member.id)
      ) {
        await this.setMembership(member.id, 'joining', 'back after eviction; waiting to be placed again');
      }
    }

    // 3. Joining nodes are placed once earlier moves are done.
    const joining = [...this.members.values()].filter(
      (m) => m.state === 'joining' && this.isUp(m.id) && !matrix.servers.some((s) => s.id === m.id),
    );
    const settled =
      this.pending !== undefined && this.pending.readAt > this.lastChangeAt && this.pending.pending === 0;
    if (joining.length > 0) {
      if (settled) {
        await this.rebalanceIn(joining, matrix);
        return;
      }
      notes.push(
        `${joining.map((m) => m.id).join(', ')} joining: waiting for ${this.pending?.pending ?? '?'} pending moves`,
      );
    }

    // 4. Drains finish when no move from the node is pending.
    const fresh = this.pending !== undefined && this.pending.readAt > this.lastChangeAt;
    for (const member of [...this.members.values()]) {
      if (
        (member.state === 'draining' || member.state === 'removing') &&
        !matrix.servers.some((s) => s.id === member.id)
      ) {
        if (
          fresh &&
          (this.pending?.fromCounts.get(member.id) ?? 0) === 0 &&
          this.changer.pendingEnqueue() === 0
        ) {
          if (member.state === 'removing') await this.forgetNode(member.id, 'decommissioned');
          else await this.setMembership(member.id, 'drained', 'holds no partitions');
        } else
          notes.push(
            `${member.id} ${member.state}: ${this.pending?.fromCounts.get(member.id) ?? '?'} moves left`,
          );
      }
    }

    // 5. Nodes repaired after a short outage are ready again.
    for (const member of this.members.values()) {
      if (member.state !== 'recovering') continue;
      const until = this.repairsUntil.get(member.id) ?? 0;
      const repairs = this.queueDepths['repair-partition'];
      const waiting = repairs
        ? (repairs.wait ?? 0) + (repairs.prioritized ?? 0) + (repairs.active ?? 0) + (repairs.delayed ?? 0)
        : 1;
      if (waiting === 0 || now > until) {
        this.repairsUntil.delete(member.id);
        await this.setMembership(
          member.id,
          'active',
          waiting === 0 ? 'repaired' : 'repairs still queued; serving',
        );
      } else notes.push(`${member.id} recovering: ${waiting} repairs queued`);
    }

    // 6. Incidents whose moves are all done.
    if (fresh && this.changer.pendingEnqueue() === 0) {
      const byEpoch = this.pending!.byEpoch;
      const done = (epoch: number) =>
        ![...byEpoch.keys()].some((e) => e <= epoch) &&
        (epoch !== matrix.epoch || this.pending!.failed === 0);
      for (const event of this.incidents.settle(done, now)) {
        this.deps.logger.info({ event: event.id, recoverMs: event.timeToRecoverMs }, 'redundancy restored');
        if (event.status === 'recovered' && event.timeToRecoverMs !== null)
          this.deps.observer?.recovered?.(event.kind, event.timeToRecoverMs / 1000);
      }
    }
    if (this.pending?.failed)
      notes.push(
        `${this.pending.failed} moves into epoch ${matrix.epoch} failed for good (see the rebalance-move queue)`,
      );
    this.notes = notes;
  }

  private async evict(dead: string[], matrix: PlacementMatrix): Promise<void> {
    const sizes = this.sizes ?? (await this.readSizes());
    let applied;
    try {
      applied = await this.changer.apply(
        { kind: 'evict', nodes: dead },
        { ...this.sizeContext(sizes), nodes: this.addresses(), reason: `${dead.join(', ')} dead` },
      );
    } catch (error) {
      this.evictionRetryAt = Date.now() + 10_000;
      for (const id of dead) {
        const event = this.incidents.openFor(id);
        if (event)
          this.incidents.act(event, {
            action: 'replace',
            result: 'failed',
            detail: (error as Error).message,
          });
      }
      this.deps.observer?.action?.('data', 'replace', 'failed');
      this.deps.logger.error({ err: error, dead }, 'could not re-place the partitions of dead nodes');
      return;
    }
    this.lastChangeAt = Date.now();
    this.deps.observer?.action?.('data', 'replace', 'ok');
    for (const id of dead) {
      await this.setMembership(id, 'evicted', `dead; partitions re-placed in epoch ${applied.next.epoch}`);
      const event =
        this.incidents.openFor(id) ??
        this.incidents.openIncident({
          target: id,
          kind: 'data',
          fault: 'dead',
          cause: 'dead',
          detectedAt: Date.now(),
          lastOkAt: null,
        }).event;
      this.incidents.act(event, {
        action: 'replace',
        result: 'ok',
        detail: `epoch ${matrix.epoch} -> ${applied.next.epoch}: ${applied.moves.length} moves (${applied.preview.byPriority.belowW} below W, ${applied.preview.byPriority.belowR} below R)`,
      });
      event.epochs.push(epochChange(applied.preview));
      this.incidents.awaitEpoch(event, applied.next.epoch, 'replaced');
    }
    this.deps.logger.warn(
      { dead, fromEpoch: matrix.epoch, toEpoch: applied.next.epoch, moves: applied.moves.length },
      'dead data nodes evicted; partitions re-placed',
    );
  }

  private async rebalanceIn(joining: NodeRecord[], matrix: PlacementMatrix): Promise<void> {
    const at = Date.now();
    const servers = joining.map((m) => ({ id: m.id, zone: m.zone, weight: m.weight }));
    const events = joining.map((m) =>
      this.incidents.record({
        target: m.id,
        kind: 'data',
        fault: 'returned',
        cause: m.note ?? 'joining',
        at,
      }),
    );
    let applied;
    try {
      const sizes = this.sizes ?? (await this.readSizes());
      applied = await this.changer.apply(
        { kind: 'return', servers },
        {
          ...this.sizeContext(sizes),
          nodes: this.addresses(),
          reason: `${servers.map((s) => s.id).join(', ')} placed`,
        },
      );
    } catch (error) {
      for (const event of events) {
        this.incidents.act(event, {
          action: 'rebalance-in',
          result: 'failed',
          detail: (error as Error).message,
        });
        event.status = 'closed';
      }
      this.deps.observer?.action?.('data', 'rebalance-in', 'failed');
      throw error;
    }
    this.lastChangeAt = Date.now();
    this.deps.observer?.action?.('data', 'rebalance-in', 'ok');
    for (const [i, member] of joining.entries()) {
      await this.setMembership(member.id, 'active', `placed in epoch ${applied.next.epoch}`);
      const event = events[i]!;
      this.incidents.act(event, {
        action: 'rebalance-in',
        result: 'ok',
        detail: `epoch ${matrix.epoch} -> ${applied.next.epoch}: ${applied.moves.length} moves`,
      });
      event.epochs.push(epochChange(applied.preview));
      this.incidents.awaitEpoch(event, applied.next.epoch, 'open');
    }
  }

  private async addNode(
    change: { node: string; url: string; zone?: string; weight?: number },
    matrix: PlacementMatrix,
    expectedEpoch: number | undefined,
    at: number,
  ): Promise<{ preview: ChangePreview; epoch: number; event: RecoveryEvent }> {
    const existing = this.members.get(change.node);
    if (existing && existing.state !== 'drained' && existing.state !== 'evicted')
      throw new RedoubtError('NODE_EXISTS', `${change.node} is already a member (${existing.state})`, {
        node: change.node,
      });
    if (matrix.servers.some((s) => s.id === change.node))
      throw new RedoubtError('NODE_EXISTS', `${change.node} is already in the placement`, {
        node: change.node,
      });
    const service: WatchedService = {
      name: change.node,
      kind: 'data',
      url: change.url.replace(/\/+$/, ''),
      orchestratorName:
        (existing ? this.services.get(change.node)?.orchestratorName : undefined) ??
        this.orchestratorNameOf(change.node, change.url),
      zone: change.zone ?? existing?.zone ?? change.node,
      weight: change.weight ?? existing?.weight ?? 1,
    };
    this.watch(service);
    const probe = await this.deps.prober.probeNow(service.name);
    if (!probe?.ok) {
      if (!existing) this.unwatch_(service.name);
      throw new RedoubtError(
        'REPLICA_UNAVAILABLE',
        `${change.node} at ${service.url} does not answer (${probe?.error ?? 'no probe'}); start it first`,
        {
          node: change.node,
        },
      );
    }
    const event = this.incidents.record({
      target: change.node,
      kind: 'operator',
      fault: 'add',
      cause: 'add requested',
      at,
    });
    const sizes = await this.readSizes();
    const applied = await this.changer.apply(
      { kind: 'add', servers: [{ id: service.name, zone: service.zone!, weight: service.weight! }] },
      {
        ...this.sizeContext(sizes),
        nodes: this.addresses(),
        reason: `add ${change.node} (operator)`,
        expectedEpoch,
      },
    );
    this.lastChangeAt = Date.now();
    await this.putMember({
      id: service.name,
      url: service.url,
      zone: service.zone!,
      weight: service.weight!,
      state: 'active',
      health: 'up',
      since: Date.now(),
      updatedAt: Date.now(),
      note: `added in epoch ${applied.next.epoch}`,
    });
    this.incidents.act(event, {
      action: 'add',
      result: 'ok',
      detail: `epoch ${applied.next.epoch}: ${applied.moves.length} moves`,
    });
    event.epochs.push(epochChange(applied.preview));
    this.incidents.awaitEpoch(event, applied.next.epoch, 'open');
    return { preview: applied.preview, epoch: applied.next.epoch, event };
  }

  /** A data node back within the grace period: repair what it missed. */
  private async afterReturn(node: string, event: RecoveryEvent): Promise<void> {
    const matrix = this.deps.subscriber.current();
    if (!matrix || !matrix.servers.some((s) => s.id === node)) return;
    if (this.settings.repairOnReturn === false) return;
    try {
      await this.setMembership(node, 'recovering', 'back; repairing what it missed');
      const added = await this.changer.enqueueRepairs(node, matrix);
      this.repairsUntil.set(node, Date.now() + 10 * 60_000);
      this.incidents.act(event, {
        action: 'repair',
        result: 'ok',
        detail: `${added} partitions queued for repair`,
      });
      this.deps.observer?.action?.('data', 'repair', 'ok');
    } catch (error) {
      this.incidents.act(event, { action: 'repair', result: 'failed', detail: (error as Error).message });
      this.deps.observer?.action?.('data', 'repair', 'failed');
      this.repairsUntil.set(node, Date.now());
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // leadership and shared state

  /** Runs becomeLeader once at a time; a failure is retried by the next tick while the lease is held. */
  private takeOver(): Promise<void> {
    this.electing ??= this.becomeLeader()
      .catch((error: unknown) => {
        this.leading = false;
        this.deps.logger.error({ err: error }, 'taking over as leader failed; retrying');
      })
      .finally(() => {
        this.electing = undefined;
      });
    return this.electing;
  }

  private async becomeLeader(): Promise<void> {
    const fence = this.deps.lease.fence();
    if (!fence) return;
    this.deps.logger.info({ token: fence.token }, 'elected leader');
    const fallback = this.deps.subscriber.current();
    if (fallback) {
      const published = await this.deps.store.initialize(fallback, {
        fence,
        nodes: this.addresses(),
        publishedBy: this.settings.monitorId,
      });
      if (published.matrix.epoch > (this.deps.subscriber.current()?.epoch ?? 0))
        await this.deps.subscriber.refresh();
    }
    await this.loadMembers(true);
    this.incidents.touchAll();
    this.leading = this.deps.lease.isLeader();
    this.lastLeaderAt = Date.now();
  }

  /** Membership from Redis, completed with the configured data nodes (the leader writes what was missing). */
  private async loadMembers(write: boolean): Promise<void> {
    const stored = await this.deps.registry.nodes();
    const matrix = this.deps.subscriber.current();
    if (!write) {
      // A follower mirrors the leader's records, forgotten nodes included.
      const ids = new Set(stored.map((r) => r.id));
      for (const id of [...this.members.keys()]) if (!ids.has(id)) this.members.delete(id);
    }
    for (const record of stored) {
      this.members.set(record.id, record);
      if (!this.services.has(record.id) && record.state !== 'drained')
        this.watch({
          name: record.id,
          kind: 'data',
          url: record.url,
          orchestratorName: this.orchestratorNameOf(record.id, record.url),
          zone: record.zone,
          weight: record.weight,
        });
    }
    if (!write) return;
    for (const service of this.dataNodes()) {
      if (this.members.has(service.name)) continue;
      const placed = matrix?.servers.some((s) => s.id === service.name) ?? false;
      await this.putMember({
        id: service.name,
        url: service.url,
        zone: service.zone ?? service.name,
        weight: service.weight ?? 1,
        state: placed ? 'active' : 'joining',
        health: this.deps.prober.state(service.name)?.state ?? 'unknown',
        since: Date.now(),
        updatedAt: Date.now(),
      });
    }
  }

  private async refresh(): Promise<void> {
    if (this.refreshing || this.stopped) return;
    this.refreshing = true;
    try {
      const matrix = this.deps.subscriber.current();
      if (matrix) await this.refreshPendingMoves(matrix.epoch).catch(() => undefined);
      await this.refreshQueues();
      if (!this.isLeader()) await this.loadMembers(false).catch(() => undefined);
      this.sharedEvents = await this.deps.events.recent(50).catch(() => undefined);
      this.leaderSeen = this.deps.lease.lastKnownLeader();
      if (
        this.isLeader() &&
        (!this.sizes || Date.now() - this.sizes.readAt > (this.settings.sizesIntervalMs ?? 30_000))
      )
        await this.readSizes().catch(() => undefined);
      if (this.isLeader()) await this.writeServices().catch(() => undefined);
    } finally {
      this.refreshing = false;
    }
  }

  private async refreshPendingMoves(epoch: number): Promise<void> {
    this.pending = await readPendingMoves(this.deps.moveQueue, epoch);
  }

  private async refreshQueues(): Promise<void> {
    const depths: Record<string, Record<string, number>> = {};
    await Promise.all(
      this.deps.queues.map(async (queue) => {
        try {
          depths[queue.name] = await queue.getJobCounts(
            'wait',
            'prioritized',
            'active',
            'delayed',
            'failed',
            'completed',
          );
        } catch {
          if (this.queueDepths[queue.name]) depths[queue.name] = this.queueDepths[queue.name]!;
        }
      }),
    );
    this.queueDepths = depths;
  }

  private async writeServices(): Promise<void> {
    const now = Date.now();
    await this.deps.registry.putServices(
      [...this.services.values()].map((service) => {
        const probe = this.deps.prober.state(service.name);
        return {
          name: service.name,
          kind: service.kind,
          url: service.url,
          health: probe?.state ?? 'unknown',
          since: probe?.since ?? now,
          lastOkAt: probe?.lastOkAt ?? null,
          ...(probe?.lastError ? { lastError: probe.lastError } : {}),
          updatedAt: now,
        };
      }),
    );
  }

  private async readSizes(): Promise<PartitionSizes> {
    const live = [...this.dataNodes()].filter((s) => this.isLive(s.name));
    this.sizes = await readPartitionSizes(live.map((s) => this.deps.dataNode({ id: s.name, url: s.url })));
    return this.sizes;
  }

  private sizeContext(sizes: PartitionSizes) {
    return {
      isLive: (node: string) => this.isLive(node),
      sizeOf: (partition: number) => sizes.bytes.get(partition) ?? 0,
      sizesComplete: sizes.missing.length === 0,
    };
  }

  private async setMembership(id: string, state: NodeRecord['state'], note: string): Promise<void> {
    const service = this.services.get(id);
    const current = this.members.get(id);
    if (current?.state === state && current.note === note) return;
    await this.putMember({
      id,
      url: current?.url ?? service?.url ?? '',
      zone: current?.zone ?? service?.zone ?? id,
      weight: current?.weight ?? service?.weight ?? 1,
      state,
      health: this.deps.prober.state(id)?.state ?? 'unknown',
      since: current?.state === state ? current.since : Date.now(),
      updatedAt: Date.now(),
      note,
    });
  }

  private async putMember(record: NodeRecord): Promise<void> {
    this.members.set(record.id, record);
    try {
      await this.deps.registry.putNode(record);
    } catch (error) {
      this.deps.logger.debug({ err: error }, 'membership not written yet');
    }
  }

  private noteHealth(id: string, health: NodeRecord['health']): void {
    const member = this.members.get(id);
    if (!member) return;
    member.health = health;
    member.updatedAt = Date.now();
    if (this.isLeader()) void this.deps.registry.putNode(member).catch(() => undefined);
  }

  private async forgetNode(id: string, reason: string): Promise<void> {
    this.members.delete(id);
    this.incidents.drop(id, reason);
    this.unwatch_(id);
    await this.deps.registry.removeNode(id).catch(() => undefined);
  }

  private orchestratorNameOf(node: string, url: string): string {
    return this.deps.orchestratorNameOf?.({ name: node, url: url.replace(/\/+$/, '') }) ?? node;
  }

  private watch(service: WatchedService): void {
    this.services.set(service.name, service);
    this.byOrchestratorName.set(service.orchestratorName, service.name);
    this.deps.prober.add({ name: service.name, kind: service.kind, url: service.url });
  }

  private unwatch_(name: string): void {
    const service = this.services.get(name);
    if (!service) return;
    this.services.delete(name);
    this.byOrchestratorName.delete(service.orchestratorName);
    this.deps.prober.remove(name);
  }

  private dataNodes(): WatchedService[] {
    return [...this.services.values()].filter((s) => s.kind === 'data');
  }

  private addresses(): NodeAddress[] {
    return this.dataNodes().map((s) => ({ id: s.name, url: s.url }));
  }

  private isLive(node: string): boolean {
    const state = this.deps.prober.state(node)?.state;
    return state === 'up' || state === 'suspect';
  }

  private isUp(node: string): boolean {
    return this.deps.prober.state(node)?.state === 'up';
  }

  private notLeader(): RedoubtError {
    const leader = this.leaderSeen ?? this.deps.lease.lastKnownLeader();
    return new RedoubtError(
      'NOT_LEADER',
      `this monitor (${this.settings.monitorId}) is not the leader${leader ? `; ${leader.id} at ${leader.url} is` : ''}`,
      {
        leaderId: leader?.id ?? null,
        leaderUrl: leader?.url ?? null,
      },
    );
  }

  private withPlacementLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.placementLock.then(fn, fn);
    this.placementLock = run.catch((error: unknown) => {
      if (!isRedoubtError(error)) this.deps.logger.error({ err: error }, 'placement change failed');
    });
    return run;
  }
}

function epochChange(preview: ChangePreview) {
  return {
    from: preview.fromEpoch,
    to: preview.toEpoch,
    moves: preview.moves,
    partitionsAffected: preview.partitionsAffected,
    partitionsBelowR: preview.byPriority.belowR + preview.byPriority.belowW,
    partitionsBelowW: preview.byPriority.belowW,
  };
}

function replicaCounts(matrix: PlacementMatrix): Map<string, { replicas: number; primaries: number }> {
  const counts = new Map<string, { replicas: number; primaries: number }>();
  for (const s of matrix.servers) counts.set(s.id, { replicas: 0, primaries: 0 });
  for (let i = 0; i < matrix.cells.length; i++) {
    const server = matrix.servers[matrix.cells[i]!];
    if (!server) continue;
    const entry = counts.get(server.id)!;
    entry.replicas += 1;
    if (i % matrix.replicas === 0) entry.primaries += 1;
  }
  return counts;
}

/** The shared log and this monitor's own events, one entry per id (the local copy is newer), newest first. */
function mergeEvents(shared: readonly RecoveryEvent[], local: readonly RecoveryEvent[]): RecoveryEvent[] {
  const byId = new Map<string, RecoveryEvent>();
  for (const event of shared) byId.set(event.id, event);
  for (const event of local) {
    const other = byId.get(event.id);
    if (!other || other.monitor === event.monitor) byId.set(event.id, event);
  }
  return [...byId.values()].sort((a, b) => b.detectedAt - a.detectedAt);
}
