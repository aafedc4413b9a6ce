import type { Redis } from 'ioredis';
import { RedoubtError } from '@redoubt/errors';
import { fromBinary, toBinary, type PlacementMatrix } from '@redoubt/placement';
import { clusterKeys, type ClusterKeys } from './cluster-keys.js';
import type { FencingToken } from './leader-lease.js';

/** Where a data node of the placement listens; published with each epoch so that consumers can reach nodes added at run time. */
export interface NodeAddress {
  id: string;
  url: string;
}

/** One epoch as it is stored: the matrix and what came with it. */
export interface PublishedPlacement {
  matrix: PlacementMatrix;
  nodes: NodeAddress[];
  /** ms since the epoch (Unix). */
  publishedAt: number;
  publishedBy: string;
  reason: string;
}

export interface PublishOptions {
  /** The leader's fencing token: the publish is refused (NOT_LEADER) unless it is still the newest one. */
  fence?: FencingToken;
  /** Strict compare-and-set: publish only if the stored epoch is exactly this (0: none stored yet). */
  expectedEpoch?: number;
  nodes?: readonly NodeAddress[];
  publishedBy?: string;
  reason?: string;
}

/**
 * Checks and writes in one step inside Redis, so two monitors (or a deposed leader that does not know it
 * yet) can never interleave: the fencing token must still be the newest one and the lease still its own,
 * the stored epoch must be older than the new one (and equal to the expected one when given); then the
 * epoch is stored and announced on the channel.
 *
 * KEYS: placement hash, fence counter, leader lease
 * ARGV: epoch, matrix, token ('' = no fencing), lease value, expected epoch ('' = any older), nodes JSON,
 *       publishedAt, publishedBy, reason, channel
 */
const PUBLISH_SCRIPT = `
if ARGV[3] ~= '' then
  local fence = redis.call('GET', KEYS[2])
  if fence ~= ARGV[3] then return {'FENCED', fence or ''} end
  local lease = redis.call('GET', KEYS[3])
  if lease ~= ARGV[4] then return {'FENCED', fence or ''} end
end
local current = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0')
local epoch = tonumber(ARGV[1])
if ARGV[5] ~= '' and current ~= tonumber(ARGV[5]) then return {'CONFLICT', tostring(current)} end
if current >= epoch then return {'STALE', tostring(current)} end
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'matrix', ARGV[2], 'nodes', ARGV[6], 'publishedAt', ARGV[7],
  'publishedBy', ARGV[8], 'reason', ARGV[9])
redis.call('PUBLISH', ARGV[10], ARGV[1])
return {'OK', ARGV[1]}
`;

const FIELDS = ['epoch', 'matrix', 'nodes', 'publishedAt', 'publishedBy', 'reason'] as const;

/**
 * The placement epochs in Redis (one current epoch, see cluster-keys.ts). The matrix is stored in the
 * checksummed binary form of @redoubt/placement, so a damaged value is refused on read
 * (PLACEMENT_CHECKSUM_MISMATCH) instead of routing keys to the wrong nodes.
 *
 * Epochs only move forward: `publish` is an atomic compare-and-set that refuses an epoch that is not newer
 * than the stored one (PLACEMENT_STALE_EPOCH), optionally one whose predecessor is not the expected one
 * (PLACEMENT_STALE_EPOCH with `details.conflict`), and, with a fencing token, anything from a leader that
 * has been replaced (NOT_LEADER). Redis failures are CLUSTER_STATE_UNAVAILABLE.
 */
export class PlacementStore {
  readonly keys: ClusterKeys;

  constructor(
    private readonly redis: Redis,
    prefix?: string,
  ) {
    this.keys = clusterKeys(prefix);
  }

  /** The current epoch, or undefined when none has been published yet. */
  async read(): Promise<PublishedPlacement | undefined> {
    const values = await this.call('read the placement', () =>
      this.redis.hmgetBuffer(this.keys.placement, ...FIELDS),
    );
    const [epoch, matrix, nodes, publishedAt, publishedBy, reason] = values;
    if (!epoch || !matrix) return undefined;
    const decoded = fromBinary(new Uint8Array(matrix));
    if (decoded.epoch !== Number(epoch.toString())) {
      throw new RedoubtError(
        'PLACEMENT_INVALID',
        `the stored matrix is epoch ${decoded.epoch} but the record says ${epoch.toString()}`,
      );
    }
    return {
      matrix: decoded,
      nodes: parseNodes(nodes?.toString()),
      publishedAt: Number(publishedAt?.toString() ?? 0),
      publishedBy: publishedBy?.toString() ?? '',
      reason: reason?.toString() ?? '',
    };
  }

  /** The current epoch number (0 when none is stored), without reading the matrix. */
  async epoch(): Promise<number> {
    const value = await this.call('read the placement epoch', () =>
      this.redis.hget(this.keys.placement, 'epoch'),
    );
    return value ? Number(value) : 0;
  }

  /** Publishes `matrix` as the new current epoch (see the class comment for what is refused). */
  async publish(matrix: PlacementMatrix, options: PublishOptions = {}): Promise<void> {
    const binary = Buffer.from(toBinary(matrix));
    const result = (await this.call('publish the placement', () =>
      this.redis.eval(
        PUBLISH_SCRIPT,
        3,
        this.keys.placement,
        this.keys.fence,
        this.keys.leaderLease,
        String(matrix.epoch),
        binary,
        options.fence ? String(options.fence.token) : '',
        options.fence ? options.fence.lease : '',
        options.expectedEpoch === undefined ? '' : String(options.expectedEpoch),
        JSON.stringify(options.nodes ?? []),
        String(Date.now()),
        options.publishedBy ?? '',
        options.reason ?? '',
        this.keys.placementChannel,
      ),
    )) as [string, string];
    const [outcome, detail] = result;
    if (outcome === 'OK') return;
    if (outcome === 'FENCED') {
      throw new RedoubtError(
        'NOT_LEADER',
        `fencing token ${options.fence?.token} is no longer the leader's (newest is ${detail || 'none'}); epoch ${matrix.epoch} not published`,
        { token: options.fence?.token ?? null, newest: detail ? Number(detail) : null },
      );
    }
    if (outcome === 'CONFLICT') {
      throw new RedoubtError(
        'PLACEMENT_STALE_EPOCH',
        `expected epoch ${options.expectedEpoch} to be current, but epoch ${detail} is; epoch ${matrix.epoch} not published`,
        {
          current: Number(detail),
          candidate: matrix.epoch,
          expected: options.expectedEpoch ?? null,
          conflict: true,
        },
      );
    }
    throw new RedoubtError(
      'PLACEMENT_STALE_EPOCH',
      `placement epoch ${matrix.epoch} is not newer than the stored epoch ${detail}`,
      { current: Number(detail), candidate: matrix.epoch },
    );
  }

  /**
   * Publishes `initial` if no epoch is stored yet, and returns whatever is current afterwards: the first
   * monitor to start seeds the cluster with epoch 1, every later one adopts what is there.
   */
  async initialize(
    initial: PlacementMatrix,
    options: Omit<PublishOptions, 'expectedEpoch'> = {},
  ): Promise<PublishedPlacement> {
    const existing = await this.read();
    if (existing) return existing;
    try {
      await this.publish(initial, {
        ...options,
        expectedEpoch: 0,
        reason: options.reason ?? 'initial placement',
      });
    } catch (error) {
      // Another monitor seeded it first: adopt theirs.
      if (!(error instanceof RedoubtError) || error.code !== 'PLACEMENT_STALE_EPOCH') throw error;
    }
    const current = await this.read();
    if (!current)
      throw new RedoubtError(
        'CLUSTER_STATE_UNAVAILABLE',
        'the placement vanished right after it was written',
      );
    return current;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw new RedoubtError(
        'CLUSTER_STATE_UNAVAILABLE',
        `could not ${what}: ${(error as Error).message}`,
        {},
        { cause: error },
      );
    }
  }
}

export function parseNodes(text: string | undefined): NodeAddress[] {
  if (!text) return [];
  try {
    const value = JSON.parse(text) as unknown;
    if (!Array.isArray(value)) return [];
    return value.filter(
      (n): n is NodeAddress =>
        typeof n === 'object' &&
        n !== null &&
        typeof (n as NodeAddress).id === 'string' &&
        typeof (n as NodeAddress).url === 'string',
    );
  } catch {
    return [];
  }
}
