import { RedoubtError } from '@redoubt/errors';
import {
  diff,
  loads,
  rebalance,
  replicasOf,
  type PlacementMatrix,
  type ServerSpec,
} from '@redoubt/placement';
import { PRIORITY } from '@redoubt/queues';

/** One replica to create, in the order and with the priority the worker should run it. */
export interface PlannedMove {
  partition: number;
  /**
   * The old owner to drop after the copy is verified; null when it is gone (dead or evicted: there is
   * nothing to drop, and the copy is verified against the kept replicas instead).
   */
  from: string | null;
  to: string;
  /** Replicas in both the old and the new placement: the sources. */
  keep: string[];
  /** BullMQ priority (lower first): PRIORITY.belowW, belowR, or move. */
  priority: number;
  /** Replicas holding the partition's data and alive while the move waits. */
  live: number;
  /** Estimated bytes to copy (0 when unknown). */
  bytes: number;
}

export interface PlanMovesOptions {
  /** Whether a node answers (up or suspect) right now. */
  isLive: (node: string) => boolean;
  writeQuorum: number;
  /** Bytes of a partition (0 when unknown). */
  sizeOf?: (partition: number) => number;
}

/**
 * The move jobs from `previous` to `next`, riskiest first: a partition whose data is on fewer than W live
 * replicas (one more failure loses acknowledged writes) goes first (PRIORITY.belowW), then those below R
 * (PRIORITY.belowR), then plain rebalancing (PRIORITY.move); within a priority, fewer live replicas first.
 */
export function planMoves(
  previous: PlacementMatrix,
  next: PlacementMatrix,
  options: PlanMovesOptions,
): PlannedMove[] {
  const plan = diff(previous, next);
  const moves: PlannedMove[] = [];
  for (const move of plan.moves) {
    if (move.to === null) continue; // a dropped replica without a replacement (R shrank): nothing to copy
    const oldRow = replicasOf(previous, move.partition);
    const newRow = replicasOf(next, move.partition);
    const keep = newRow.filter((node) => node !== move.to && oldRow.includes(node));
    const live = oldRow.filter((node) => options.isLive(node)).length;
    const fromLive = move.from !== null && options.isLive(move.from);
    const priority =
      live < options.writeQuorum ? PRIORITY.belowW : live < next.replicas ? PRIORITY.belowR : PRIORITY.move;
    moves.push({
      partition: move.partition,
      from: fromLive ? move.from : null,
      to: move.to,
      keep,
      priority,
      live,
      bytes: options.sizeOf?.(move.partition) ?? 0,
    });
  }
  return moves.sort((a, b) => a.priority - b.priority || a.live - b.live || a.partition - b.partition);
}

/** A membership change an operator (or recovery) can make. */
export type MembershipChange =
  | { kind: 'drain' | 'remove'; node: string }
  | { kind: 'evict'; nodes: string[] }
  | { kind: 'add' | 'return'; servers: ServerSpec[] };

/** The server list after a change. */
export function serversAfter(current: PlacementMatrix, change: MembershipChange): ServerSpec[] {
  const servers = current.servers.map((s) => ({ ...s }));
  switch (change.kind) {
    case 'drain':
    case 'remove': {
      if (!servers.some((s) => s.id === change.node))
        throw new RedoubtError(
          'NODE_STATE_CONFLICT',
          `${change.node} holds no partitions in epoch ${current.epoch}`,
          {
            node: change.node,
          },
        );
      return servers.filter((s) => s.id !== change.node);
    }
    case 'evict':
      return servers.filter((s) => !change.nodes.includes(s.id));
    case 'add':
    case 'return':
      for (const server of change.servers) {
        if (servers.some((s) => s.id === server.id))
          throw new RedoubtError(
            'NODE_EXISTS',
            `${server.id} is already in the placement (epoch ${current.epoch})`,
            {
              node: server.id,
            },
          );
      }
      return [...servers, ...change.servers.map((s) => ({ ...s }))];
  }
}

export interface PreviewOptions extends PlanMovesOptions {
  /** Copy bandwidth in bytes per second (BANDWIDTH_MBPS x 10^6). */
  bandwidthBytesPerSecond: number;
  /** Whether `sizeOf` covers every partition (every live node answered). */
  sizesComplete?: boolean;
}

export interface PartitionExposure {
  partition: number;
  /** How long after the change is applied the partition again has all its replicas filled. */
  secondsBelowR: number;
  bytes: number;
  priority: number;
}

export interface ChangePreview {
  change: MembershipChange;
  fromEpoch: number;
  toEpoch: number;
  servers: { before: string[]; after: string[] };
  moves: number;
  partitionsAffected: number;
  bytes: number;
  sizesComplete: boolean;
  bandwidthBytesPerSecond: number;
  estimatedSeconds: number;
  byPriority: { belowW: number; belowR: number; move: number };
  /** Replicas per server before and after. */
  loads: { before: Record<string, number>; after: Record<string, number> };
  /** Each affected partition: how long it runs with fewer than R filled replicas (moves run in plan order). */
  exposure: PartitionExposure[];
  maxSecondsBelowR: number;
  meanSecondsBelowR: number;
}

/**
 * What a change would do before it is applied: the next epoch's matrix, the moves in the order the worker
 * will run them, bytes to copy, the time at the configured bandwidth, and for every affected partition how
 * long it runs below R (from the moment the new epoch is published until its last move is done).
 */
export function previewChange(
  current: PlacementMatrix,
  change: MembershipChange,
  options: PreviewOptions,
): { next: PlacementMatrix; moves: PlannedMove[]; preview: ChangePreview } {
  const next = rebalance(current, serversAfter(current, change));
  const moves = planMoves(current, next, options);
  const rate = Math.max(1, options.bandwidthBytesPerSecond);
  let elapsed = 0;
  const exposure = new Map<number, PartitionExposure>();
  const byPriority = { belowW: 0, belowR: 0, move: 0 };
  let bytes = 0;
  for (const move of moves) {
    elapsed += move.bytes / rate;
    bytes += move.bytes;
    if (move.priority === PRIORITY.belowW) byPriority.belowW += 1;
    else if (move.priority === PRIORITY.belowR) byPriority.belowR += 1;
    else byPriority.move += 1;
    const seen = exposure.get(move.partition);
    exposure.set(move.partition, {
      partition: move.partition,
      secondsBelowR: elapsed,
      bytes: (seen?.bytes ?? 0) + move.bytes,
      priority: Math.min(seen?.priority ?? move.priority, move.priority),
    });
  }
  const exposures = [...exposure.values()];
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    next,
    moves,
    preview: {
      change,
      fromEpoch: current.epoch,
      toEpoch: next.epoch,
      servers: { before: current.servers.map((s) => s.id), after: next.servers.map((s) => s.id) },
      moves: moves.length,
      partitionsAffected: exposures.length,
      bytes,
      sizesComplete: options.sizesComplete ?? true,
      bandwidthBytesPerSecond: rate,
      estimatedSeconds: round(elapsed),
      byPriority,
      loads: { before: loads(current), after: loads(next) },
      exposure: exposures.map((e) => ({ ...e, secondsBelowR: round(e.secondsBelowR) })),
      maxSecondsBelowR: round(exposures.reduce((m, e) => Math.max(m, e.secondsBelowR), 0)),
      meanSecondsBelowR: round(
        exposures.length ? exposures.reduce((s, e) => s + e.secondsBelowR, 0) / exposures.length : 0,
      ),
    },
  };
}

/** The preview of a change that moves nothing (removing a node that holds no partitions). */
export function emptyPreview(
  current: PlacementMatrix,
  change: MembershipChange,
  bandwidthBytesPerSecond: number,
): ChangePreview {
  const before = loads(current);
  return {
    change,
    fromEpoch: current.epoch,
    toEpoch: current.epoch,
    servers: { before: current.servers.map((s) => s.id), after: current.servers.map((s) => s.id) },
    moves: 0,
    partitionsAffected: 0,
    bytes: 0,
    sizesComplete: true,
    bandwidthBytesPerSecond: Math.max(1, bandwidthBytesPerSecond),
    estimatedSeconds: 0,
    byPriority: { belowW: 0, belowR: 0, move: 0 },
    loads: { before, after: before },
    exposure: [],
    maxSecondsBelowR: 0,
    meanSecondsBelowR: 0,
  };
}
