import { describe, expect, it } from 'vitest';
import { runPowerLossTrials } from './testing/index.js';

describe('log engine: simulated power loss', () => {
  it('keeps every acknowledged write and serves nothing corrupt across thousands of random power cuts', async () => {
    const seed = Number(process.env.POWER_LOSS_SEED ?? Date.now() % 1_000_000);
    console.log(`power-loss harness: seed ${seed} (POWER_LOSS_SEED=${seed} reproduces this run)`);
    const report = await runPowerLossTrials({ seed, trials: 700, cuts: 3 });
    console.log(`power-loss harness: ${JSON.stringify(report)}`);
    expect(report.crashPoints).toBe(2_100);
    expect(report.acknowledgedPuts).toBeGreaterThan(10_000);
    expect(report.acknowledgedDrops).toBeGreaterThan(100);
  }, 120_000);
});
