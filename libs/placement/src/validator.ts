import { RedoubtError } from '@redoubt/errors';
import { fairShares } from './fair-share.js';
import {
  DEFAULT_TOLERANCE,
  EMPTY_CELL,
  type PlacementMatrix,
  type ServerSpec,
  type ValidateOptions,
  type Violation,
} from './placement-types.js';
import { checkServers, indexById } from './server-list.js';
import { zoneRule } from './zone-rule.js';

/**
 * Every broken invariant of `m`, judged against `servers` (the current membership; default: the matrix's own
 * server list). An empty array means the matrix is valid.
 *
 * - ROW_SHORT: a row has an empty cell (or the cell array has the wrong length).
 * - DUPLICATE_IN_ROW: a server holds two replicas of one partition.
 * - ZONE_RULE: a row has more replicas in one zone than the zone rule allows (see zone-rule.ts).
 * - UNKNOWN_SERVER: cells point at a server that is not in the list (one violation per server, with the
 *   number of its cells), or at a column the matrix does not have.
 * - IMBALANCE: a server's load differs from its fair share (fair-share.ts) by more than
 *   tolerance * share + 1 cell (the one cell is integer rounding).
 */
export function validate(
  m: PlacementMatrix,
  servers?: readonly ServerSpec[],
  options: ValidateOptions = {},
): Violation[] {
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new RedoubtError('INVALID_ARGUMENT', `tolerance must be a non-negative number, got ${tolerance}`);
  }
  const { partitions, replicas, cells } = m;
  const violations: Violation[] = [];
  if (cells.length !== partitions * replicas) {
    violations.push({
      rule: 'ROW_SHORT',
      message: `the matrix has ${cells.length} cells, expected ${partitions} x ${replicas}`,
    });
    return violations;
  }
  const reference = servers === undefined ? m.servers : checkServers(servers);
  const referenceIndex = indexById(reference);
  const columns = m.servers.length;
  // matrix column -> reference index (-1: not in the reference list)
  const toReference = Int32Array.from(m.servers, (server) => referenceIndex.get(server.id) ?? -1);
  const effectiveReplicas = Math.min(replicas, reference.length);
  const rule = zoneRule(reference, Math.max(1, effectiveReplicas));
  const zoneCount = new Int32Array(rule.zoneNames.length);
  const load = new Float64Array(reference.length);
  const unknownCells = new Map<string, { count: number; first: number }>();

  for (let p = 0; p < partitions; p++) {
    const base = p * replicas;
    let filled = 0;
    zoneCount.fill(0);
    for (let r = 0; r < replicas; r++) {
      const column = cells[base + r]!;
      if (column === EMPTY_CELL) continue;
      if (column >= columns) {
        violations.push({
          rule: 'UNKNOWN_SERVER',
          partition: p,
          message: `partition ${p} replica ${r} points at column ${column}, the matrix has ${columns} servers`,
        });
        continue;
      }
      filled += 1;
      const id = m.servers[column]!.id;
      for (let q = 0; q < r; q++) {
        if (cells[base + q] === column) {
          violations.push({
            rule: 'DUPLICATE_IN_ROW',
            partition: p,
            server: id,
            message: `partition ${p} has two replicas on ${id}`,
          });
          break;
        }
      }
      const s = toReference[column]!;
      if (s < 0) {
        const seen = unknownCells.get(id);
        if (seen === undefined) unknownCells.set(id, { count: 1, first: p });
        else seen.count += 1;
        continue;
      }
      load[s]! += 1;
      zoneCount[rule.zoneOf[s]!]! += 1;
    }
    if (filled < replicas) {
      violations.push({
        rule: 'ROW_SHORT',
        partition: p,
        message: `partition ${p} has ${filled} of ${replicas} replicas`,
      });
    }
    for (let z = 0; z < zoneCount.length; z++) {
      if (zoneCount[z]! > rule.maxPerZone) {
        violations.push({
          rule: 'ZONE_RULE',
          partition: p,
          message: `partition ${p} has ${zoneCount[z]} replicas in zone ${rule.zoneNames[z]}, at most ${rule.maxPerZone} allowed`,
        });
      }
    }
  }
  for (const [id, { count, first }] of unknownCells) {
    violations.push({
      rule: 'UNKNOWN_SERVER',
      server: id,
      partition: first,
      message: `${count} replicas are on ${id}, which is not in the server list (first: partition ${first})`,
    });
  }
  if (reference.length >= replicas) {
    const shares = fairShares(reference, rule, partitions, replicas);
    reference.forEach((server, s) => {
      const share = shares[s]!;
      const allowed = tolerance * share + 1;
      if (Math.abs(load[s]! - share) > allowed) {
        violations.push({
          rule: 'IMBALANCE',
          server: server.id,
          message: `${server.id} holds ${load[s]} replicas, its fair share is ${share.toFixed(2)} (±${allowed.toFixed(2)})`,
        });
      }
    });
  }
  return violations;
}
