import { RedoubtError } from '@redoubt/errors';
import type { TargetSelector } from '../scenario/scenario-schema.js';
import type { ChaosTarget } from './chaos-target.js';

export interface ResolveContext {
  inventory: readonly ChaosTarget[];
  /** Partitions per data node id (from the placement), for `most-partitions`. */
  partitionCounts?: () => Promise<Map<string, number>>;
  /** The leader monitor (its id, and the URL it serves on when known), for `leader`. */
  leader?: () => Promise<{ id: string; url?: string | undefined } | undefined>;
}

function matches(selector: TargetSelector, target: ChaosTarget): boolean {
  if (selector.service) return target.name === selector.service;
  if (selector.role) return target.role === selector.role;
  if (selector.label) {
    const eq = selector.label.indexOf('=');
    return target.labels[selector.label.slice(0, eq)] === selector.label.slice(eq + 1);
  }
  return false;
}

/** The one target a fault hits. `pick` (from the seed) chooses among several with `random`. */
export async function resolveTarget(
  selector: TargetSelector,
  pick: number,
  context: ResolveContext,
): Promise<ChaosTarget> {
  const candidates = context.inventory
    .filter((t) => matches(selector, t))
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  if (candidates.length === 0)
    throw new RedoubtError('NODE_NOT_FOUND', `no target matches ${JSON.stringify(selector)}`, {
      known: context.inventory.map((t) => t.name),
    });
  const byPick = (list: ChaosTarget[]) => list[Math.min(list.length - 1, Math.floor(pick * list.length))]!;
  switch (selector.pick) {
    case 'first':
      return candidates[0]!;
    case 'random':
      return byPick(candidates);
    case 'most-partitions': {
      const counts = (await context.partitionCounts?.()) ?? new Map<string, number>();
      const countOf = (t: ChaosTarget) => counts.get(t.id ?? t.name) ?? 0;
      const most = Math.max(...candidates.map(countOf));
      return byPick(candidates.filter((t) => countOf(t) === most));
    }
    case 'leader': {
      const leader = await context.leader?.();
      const hostOf = (url: string | undefined) => {
        try {
          return url ? new URL(url).hostname : undefined;
        } catch {
          return undefined;
        }
      };
      const leaderHost = hostOf(leader?.url);
      const found = candidates.find(
        (t) =>
          leader !== undefined &&
          (t.id === leader.id ||
            t.name === leader.id ||
            (leaderHost !== undefined && (t.name === leaderHost || hostOf(t.healthUrl) === leaderHost))),
      );
      if (!found)
        throw new RedoubtError(
          'NOT_LEADER',
          `no monitor leader is known (lease holder: ${leader?.id ?? 'none'})`,
          {
            candidates: candidates.map((t) => t.name),
          },
        );
      return found;
    }
  }
}
