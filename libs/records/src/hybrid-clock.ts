import { RedoubtError } from '@redoubt/errors';
import { formatVersion, parseVersion, MAX_LOGICAL, type Version } from './version.js';

/**
 * Hybrid logical clock (Kulkarni et al.): close to wall time, yet strictly increasing on one writer and
 * never behind any version it has observed, so a write that follows a read it saw is always newer even
 * when the two writers' clocks disagree.
 */
export class HybridClock {
  private wall = 0;
  private logical = 0;

  constructor(
    readonly writer: string,
    private readonly physicalNow: () => number = Date.now,
    /** Versions further ahead of our clock than this are refused rather than adopted (a broken peer). */
    private readonly maxDriftMs = 60_000,
  ) {
    formatVersion({ wall: 0, logical: 0, writer }); // validates the writer id
  }

  /** A new version for a local write. */
  now(): Version {
    const physical = this.physicalNow();
    if (physical > this.wall) {
      this.wall = physical;
      this.logical = 0;
    } else {
      this.tick();
    }
    return formatVersion({ wall: this.wall, logical: this.logical, writer: this.writer });
  }

  /** Merges a version seen from elsewhere so the next `now()` is newer than it. */
  observe(version: Version): void {
    const seen = parseVersion(version);
    const physical = this.physicalNow();
    if (seen.wall > physical + this.maxDriftMs) {
      throw new RedoubtError(
        'VERSION_INVALID',
        `version ${version} is more than ${this.maxDriftMs} ms ahead of this clock`,
        {
          driftMs: seen.wall - physical,
        },
      );
    }
    if (seen.wall > this.wall || (seen.wall === this.wall && seen.logical > this.logical)) {
      this.wall = seen.wall;
      this.logical = seen.logical;
    }
  }

  private tick(): void {
    if (this.logical < MAX_LOGICAL) {
      this.logical += 1;
    } else {
      // 65,536 writes within one millisecond on one writer: borrow the next millisecond.
      this.wall += 1;
      this.logical = 0;
    }
  }
}
