import { describe, expect, it } from 'vitest';
import { probeVerdict } from './fault-executor.js';

describe('probeVerdict (the console line after each fault)', () => {
  it('says how long after the fault ended the target served again', () => {
    expect(probeVerdict({ detectedAt: 1_100, recoveredAt: 6_300 }, 6_000, 16_000)).toBe(
      'serves again 300 ms after the fault ended',
    );
  });

  it('does not claim a failure when the probe never saw the target down (undone between two probes)', () => {
    expect(probeVerdict({ detectedAt: null, recoveredAt: null }, 6_000, 16_000)).toMatch(
      /^was never seen out of service by the probe/,
    );
  });

  it('names the window when the target was seen down and never came back in it', () => {
    expect(probeVerdict({ detectedAt: 1_100, recoveredAt: null }, 6_000, 16_000)).toBe(
      "did not serve again within 10 s of the fault's end",
    );
  });
});
