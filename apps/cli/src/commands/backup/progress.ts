import { Presets, SingleBar } from 'cli-progress';

/**
 * A progress bar on stderr whose total is fixed before any work starts and whose value only grows. Shown
 * only on a terminal and never with --json (stdout stays machine-readable). Increments past the total are
 * clamped, so a retried piece of work never pushes it beyond 100 %.
 */
export class Progress {
  private bar: SingleBar | undefined;
  private value = 0;
  private readonly bytes: boolean;

  constructor(
    label: string,
    private readonly total: number,
    options: { enabled: boolean; unit?: 'bytes' | 'items' },
  ) {
    this.bytes = options.unit === 'bytes';
    if (!options.enabled || !process.stderr.isTTY) return;
    this.bar = new SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {done}/{all} | {eta_formatted} left | {note}`,
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
      },
      Presets.shades_classic,
    );
    this.bar.start(Math.max(total, 0), 0, { note: '', done: this.show(0), all: this.show(total) });
  }

  private show(n: number): string {
    return this.bytes ? formatBytes(n) : String(n);
  }

  /** Moves forward by `delta` (never back, never past the total). */
  advance(delta: number, note?: string): void {
    if (delta <= 0 && note === undefined) return;
    this.value = Math.min(this.total, this.value + Math.max(0, delta));
    this.bar?.update(this.value, {
      note: note ?? '',
      done: this.show(this.value),
      all: this.show(this.total),
    });
  }

  stop(): void {
    if (!this.bar) return;
    this.bar.update(this.value);
    this.bar.stop();
    this.bar = undefined;
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
