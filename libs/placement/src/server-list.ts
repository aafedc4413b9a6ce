import { RedoubtError } from '@redoubt/errors';
import { MAX_PARTITIONS, MAX_SERVERS, type ServerSpec } from './placement-types.js';

/**
 * Input checks shared by build, rebalance, validate and the codec. Every rejection is a RedoubtError whose
 * code names the problem, with the offending value in `details`, so callers (monitor, CLI) can report it.
 */

/** Checks a server list and returns a frozen copy (matrices keep it, so later edits by the caller cannot leak in). */
export function checkServers(servers: unknown): readonly ServerSpec[] {
  if (!Array.isArray(servers)) {
    throw new RedoubtError('PLACEMENT_INVALID', 'the server list must be an array');
  }
  if (servers.length > MAX_SERVERS) {
    throw new RedoubtError('PLACEMENT_INVALID', `at most ${MAX_SERVERS} servers are supported`, {
      servers: servers.length,
    });
  }
  const seen = new Set<string>();
  const copy: ServerSpec[] = [];
  servers.forEach((server: unknown, index) => {
    if (typeof server !== 'object' || server === null) {
      throw new RedoubtError('PLACEMENT_INVALID', `server #${index} is not an object`, { index });
    }
    const { id, zone, weight } = server as Record<string, unknown>;
    if (typeof id !== 'string' || id.length === 0) {
      throw new RedoubtError('PLACEMENT_INVALID', `server #${index} has no id`, { index });
    }
    if (typeof zone !== 'string') {
      throw new RedoubtError('PLACEMENT_INVALID', `server ${id} has no zone`, { index, server: id });
    }
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
      throw new RedoubtError('PLACEMENT_BAD_WEIGHT', `server ${id} has weight ${String(weight)}`, {
        index,
        server: id,
        weight: typeof weight === 'number' ? weight : String(weight),
      });
    }
    if (seen.has(id)) {
      throw new RedoubtError('PLACEMENT_DUPLICATE_SERVER', `server id ${id} appears more than once`, {
        index,
        server: id,
      });
    }
    seen.add(id);
    copy.push(Object.freeze({ id, zone, weight }));
  });
  return Object.freeze(copy);
}

export function checkPartitions(partitions: unknown): number {
  if (
    typeof partitions !== 'number' ||
    !Number.isInteger(partitions) ||
    partitions < 1 ||
    partitions > MAX_PARTITIONS
  ) {
    throw new RedoubtError(
      'PLACEMENT_BAD_PARTITIONS',
      `the partition count must be an integer from 1 to ${MAX_PARTITIONS}, got ${String(partitions)}`,
      { partitions: typeof partitions === 'number' ? partitions : String(partitions) },
    );
  }
  return partitions;
}

export function checkReplicas(replicas: unknown, serverCount: number): number {
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 1) {
    throw new RedoubtError(
      'PLACEMENT_INVALID',
      `the replica count must be a positive integer, got ${String(replicas)}`,
      {
        replicas: typeof replicas === 'number' ? replicas : String(replicas),
      },
    );
  }
  if (replicas > serverCount) {
    throw new RedoubtError(
      'PLACEMENT_REPLICAS_EXCEED_SERVERS',
      `${replicas} replicas requested but only ${serverCount} servers exist`,
      { replicas, servers: serverCount },
    );
  }
  return replicas;
}

export function checkEpoch(epoch: unknown): number {
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) {
    throw new RedoubtError(
      'PLACEMENT_INVALID',
      `the epoch must be a non-negative safe integer, got ${String(epoch)}`,
      {
        epoch: typeof epoch === 'number' ? epoch : String(epoch),
      },
    );
  }
  return epoch;
}

/** id -> column index. */
export function indexById(servers: readonly ServerSpec[]): Map<string, number> {
  const index = new Map<string, number>();
  servers.forEach((server, i) => index.set(server.id, i));
  return index;
}
