import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@redoubt/local-stack';
import { loadScenarioFile, parseScenario, resolveScenarioPath } from './scenario-loader.js';

const minimal = `
name: tiny
load: { duration: 30s, rate: 20 }
`;

function invalidFields(text: string): string[] {
  try {
    parseScenario(text, 'test.yaml');
  } catch (error) {
    expect(error).toMatchObject({ code: 'SCENARIO_INVALID' });
    return (error as { details: { fields: string[] } }).details.fields;
  }
  throw new Error('the scenario was accepted');
}

describe('scenario files', () => {
  it('accepts a minimal scenario and fills in the defaults', () => {
    const scenario = parseScenario(minimal);
    expect(scenario.load).toMatchObject({
      duration: 30_000,
      rate: 20,
      engine: 'auto',
      putRatio: 0.7,
      timeout: 3000,
    });
    expect(scenario.faults).toEqual([]);
    expect(scenario.verify).toMatchObject({
      acknowledgedWrites: true,
      replicasConverge: true,
      recoverWithin: 5000,
    });
    expect(scenario.guards.allowBelowWriteQuorum).toBe(false);
  });

  it('parses faults with every target form and durations in ms, s and m', () => {
    const scenario = parseScenario(`
name: forms
seed: abc
load: { duration: 2m, rate: 10, timeout: 1500ms }
faults:
  - { at: 5s, kind: kill, target: data-2 }
  - { at: 10s, kind: pause, target: { role: data, pick: most-partitions }, duration: 2.5s }
  - { at: 20s, kind: disconnect, target: { label: com.docker.compose.service=gateway }, duration: 3000 }
  - { at: 30s, kind: kill, target: { role: monitor, pick: leader }, recoverWithin: 10s }
`);
    expect(scenario.load.duration).toBe(120_000);
    expect(scenario.load.timeout).toBe(1500);
    expect(scenario.faults.map((f) => f.target)).toEqual([
      { service: 'data-2', pick: 'random' },
      { role: 'data', pick: 'most-partitions' },
      { label: 'com.docker.compose.service=gateway', pick: 'random' },
      { role: 'monitor', pick: 'leader' },
    ]);
    expect(scenario.faults[1]!.duration).toBe(2500);
    expect(scenario.faults[3]!.recoverWithin).toBe(10_000);
  });

  it('parses link faults (peer, direction, loss) and clock skews with a sign', () => {
    const scenario = parseScenario(`${minimal}faults:
  - { at: 5s, kind: partition, target: gateway-1, peer: data-1, direction: inbound, duration: 4s }
  - { at: 10s, kind: slow-link, target: gateway-2, peer: { role: data, pick: first }, loss: 0.25, duration: 4s }
  - { at: 15s, kind: reset-link, target: data-2, duration: 2s }
  - { at: 20s, kind: clock-skew, target: gateway-2, skew: -1.5m, duration: 5s }
`);
    expect(scenario.faults[0]).toMatchObject({
      kind: 'partition',
      peer: { service: 'data-1' },
      direction: 'inbound',
      duration: 4000,
    });
    expect(scenario.faults[1]).toMatchObject({
      peer: { role: 'data', pick: 'first' },
      loss: 0.25,
      direction: 'both',
    });
    expect(scenario.faults[2]?.peer).toBeUndefined();
    expect(scenario.faults[3]).toMatchObject({ kind: 'clock-skew', skew: -90_000 });
  });

  it('accepts every scenario shipped in chaos/scenarios', () => {
    const dir = join(REPO_ROOT, 'chaos', 'scenarios');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files).toEqual(expect.arrayContaining(['ci-docker.yaml', 'local-smoke.yaml']));
    for (const file of files)
      expect(loadScenarioFile(join(dir, file)).name).toBe(file.replace(/\.yaml$/, ''));
  });

  it('finds a scenario by name in chaos/scenarios', () => {
    expect(resolveScenarioPath('local-smoke', REPO_ROOT)).toBe(
      join(REPO_ROOT, 'chaos', 'scenarios', 'local-smoke.yaml'),
    );
    expect(() => resolveScenarioPath('no-such-scenario', REPO_ROOT)).toThrow(/no scenario file/);
  });

  describe('rejects with SCENARIO_INVALID naming the field', () => {
    it('YAML that does not parse, with its line', () => {
      expect(invalidFields('name: x\nload: { duration: 1s\n')[0]).toMatch(/^line \d+$/);
    });

    it('a document that is not a mapping', () => {
      expect(invalidFields('- a\n- b\n')).toEqual(['(root)']);
    });

    it('a missing section and a wrong type', () => {
      expect(invalidFields('name: x\n')).toEqual(['load']);
      expect(invalidFields('name: x\nload: { duration: 10s, rate: fast }\n')).toEqual(['load.rate']);
    });

    it('an unknown field (typos are errors, not ignored)', () => {
      expect(invalidFields(`${minimal}verfy: { recoverWithin: 5s }\n`)).toEqual(['(root)']);
      expect(
        invalidFields(`${minimal}faults: [{ at: 1s, kind: kill, target: data-1, durration: 2s }]\n`),
      ).toEqual(['faults[0]']);
    });

    it('a malformed duration', () => {
      expect(invalidFields('name: x\nload: { duration: soon, rate: 1 }\n')).toEqual(['load.duration']);
    });

    it('an unknown fault kind', () => {
      expect(invalidFields(`${minimal}faults: [{ at: 1s, kind: explode, target: data-1 }]\n`)).toEqual([
        'faults[0].kind',
      ]);
    });

    it('a pause without a duration, a crash with one', () => {
      expect(invalidFields(`${minimal}faults: [{ at: 1s, kind: pause, target: data-1 }]\n`)).toEqual([
        'faults[0].duration',
      ]);
      expect(
        invalidFields(`${minimal}faults: [{ at: 1s, kind: crash, target: data-1, duration: 1s }]\n`),
      ).toEqual(['faults[0].duration']);
    });

    it('a target that names two things, or a pick that does not fit its role', () => {
      expect(
        invalidFields(
          `${minimal}faults: [{ at: 1s, kind: kill, target: { service: data-1, role: data } }]\n`,
        ),
      ).toEqual(['faults[0].target']);
      expect(
        invalidFields(
          `${minimal}faults: [{ at: 1s, kind: kill, target: { role: gateway, pick: most-partitions } }]\n`,
        ),
      ).toEqual(['faults[0].target.pick']);
    });

    it('a fault after the load has ended', () => {
      expect(invalidFields(`${minimal}faults: [{ at: 40s, kind: kill, target: data-1 }]\n`)).toEqual([
        'faults[0].at',
      ]);
    });

    it('a clock skew without a sign, or without a skew, and fields that belong to other kinds', () => {
      expect(
        invalidFields(
          `${minimal}faults: [{ at: 1s, kind: clock-skew, target: gw-1, skew: 30s, duration: 5s }]\n`,
        ),
      ).toEqual(['faults[0].skew']);
      expect(
        invalidFields(`${minimal}faults: [{ at: 1s, kind: clock-skew, target: gw-1, duration: 5s }]\n`),
      ).toEqual(['faults[0].skew']);
      expect(
        invalidFields(
          `${minimal}faults: [{ at: 1s, kind: pause, target: gw-1, peer: data-1, duration: 5s }]\n`,
        ),
      ).toEqual(['faults[0].peer']);
      expect(
        invalidFields(
          `${minimal}faults: [{ at: 1s, kind: partition, target: gw-1, loss: 0.2, duration: 5s }]\n`,
        ),
      ).toEqual(['faults[0].loss']);
      expect(invalidFields(`${minimal}faults: [{ at: 1s, kind: partition, target: gw-1 }]\n`)).toEqual([
        'faults[0].duration',
      ]);
    });

    it('a clock skew among the random kinds (it needs a skew)', () => {
      expect(
        invalidFields(
          `${minimal}random: { count: 1, kinds: [clock-skew], targets: [gw-1], window: [5s, 10s] }\n`,
        ),
      ).toEqual(['random.kinds']);
    });

    it('a random window that is inverted', () => {
      expect(
        invalidFields(
          `${minimal}random: { count: 2, kinds: [kill], targets: [data-1], window: [20s, 10s] }\n`,
        ),
      ).toEqual(['random.window']);
    });
  });
});
