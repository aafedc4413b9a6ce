import { describe, expect, it } from 'vitest';
import { HybridClock, compareVersions, parseVersion } from './index.js';

describe('HybridClock', () => {
  it('is strictly increasing even when the wall clock stands still or goes back', () => {
    const times = [1000, 1000, 999, 1000, 1001, 500];
    const clock = new HybridClock('w1', () => times.shift() ?? 500);
    const versions = Array.from({ length: 6 }, () => clock.now());
    for (let i = 1; i < versions.length; i++) expect(compareVersions(versions[i]!, versions[i - 1]!)).toBe(1);
  });

  it('issues versions newer than any version it observed from a writer with a faster clock', () => {
    const fast = new HybridClock('fast', () => 5_000);
    const slow = new HybridClock('slow', () => 1_000);
    const seen = fast.now();
    slow.observe(seen);
    expect(compareVersions(slow.now(), seen)).toBe(1);
  });

  it('refuses to adopt a version far ahead of its own clock', () => {
    const clock = new HybridClock('w', () => 1_000, 60_000);
    const wild = new HybridClock('x', () => 10_000_000).now();
    expect(() => clock.observe(wild)).toThrow(expect.objectContaining({ code: 'VERSION_INVALID' }));
    expect(parseVersion(clock.now()).wall).toBe(1_000);
  });

  it('carries into the next millisecond after 65,536 versions in one millisecond', () => {
    const clock = new HybridClock('w', () => 7);
    let last = clock.now();
    for (let i = 0; i < 70_000; i++) {
      const next = clock.now();
      expect(next > last).toBe(true);
      last = next;
    }
    expect(parseVersion(last).wall).toBe(8);
  });
});
