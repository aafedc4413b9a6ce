import { RedoubtError } from '@redoubt/errors';
import type { PlacementMatrix } from '@redoubt/placement';

/**
 * Where the gateway gets the current placement. Today it is built once from the configured data nodes;
 * the monitor will publish epochs (in Redis) and a provider that follows them swaps matrices at run time.
 * Callers always ask `current()`, and listen for changes to drop what they derived from the old epoch.
 */
export interface PlacementProvider {
  current(): PlacementMatrix | undefined;
  onChange(listener: (matrix: PlacementMatrix) => void): () => void;
}

/** Holds the current matrix and accepts only newer epochs (a late, older publication must not win). */
export class PlacementHolder implements PlacementProvider {
  private matrix: PlacementMatrix | undefined;
  private readonly listeners = new Set<(matrix: PlacementMatrix) => void>();

  constructor(initial?: PlacementMatrix) {
    this.matrix = initial;
  }

  current(): PlacementMatrix | undefined {
    return this.matrix;
  }

  /** Adopts `next` if its epoch is newer; throws PLACEMENT_STALE_EPOCH otherwise. */
  update(next: PlacementMatrix): void {
    if (this.matrix && next.epoch <= this.matrix.epoch) {
      throw new RedoubtError(
        'PLACEMENT_STALE_EPOCH',
        `epoch ${next.epoch} is not newer than the current epoch ${this.matrix.epoch}`,
        { current: this.matrix.epoch, candidate: next.epoch },
      );
    }
    this.matrix = next;
    for (const listener of this.listeners) listener(next);
  }

  onChange(listener: (matrix: PlacementMatrix) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
