import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { BACKUP_JOB_NAMES } from '@redoubt/backup';
import { withBackgroundShare } from './background-share.js';

const work = (ms: number) => async () => {
  await new Promise((r) => setTimeout(r, ms));
  return 'done';
};
const job = (name: string, data: object = {}) => ({ name, data }) as Job;

async function timed(run: () => Promise<unknown>): Promise<number> {
  const begun = performance.now();
  await run();
  return performance.now() - begun;
}

describe('withBackgroundShare', () => {
  it('makes a scheduled backup job rest three times its work at a share of 0.25', async () => {
    const processor = withBackgroundShare(work(100), 0.25);
    const ms = await timed(() => processor(job(BACKUP_JOB_NAMES.partition, { partition: 1 }), undefined));
    expect(ms).toBeGreaterThanOrEqual(390);
  });

  it('does not hold back backup now (interactive), sweeps, drills, or anything at a share of 1', async () => {
    for (const [processor, j] of [
      [withBackgroundShare(work(100), 0.25), job(BACKUP_JOB_NAMES.partition, { interactive: true })],
      [withBackgroundShare(work(100), 0.25), job(BACKUP_JOB_NAMES.sweep)],
      [withBackgroundShare(work(100), 1), job(BACKUP_JOB_NAMES.partition)],
    ] as const) {
      expect(await timed(() => processor(j, undefined))).toBeLessThan(300);
    }
  });

  it('ends the rest when the worker shuts down', async () => {
    const shutdown = new AbortController();
    const processor = withBackgroundShare(work(100), 0.01); // would rest ~10 s
    setTimeout(() => shutdown.abort(), 200);
    const ms = await timed(() => processor(job(BACKUP_JOB_NAMES.partition), shutdown.signal));
    expect(ms).toBeLessThan(2_000);
  });
});
