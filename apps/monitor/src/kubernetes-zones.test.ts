import { describe, expect, it } from 'vitest';
import { placementZoneFor, resolvePlacementZone } from './kubernetes-zones.js';

/** Node zone labels of pods, as the Kubernetes API would give them (no API server runs here). */
const nodeZones = new Map([
  ['redoubt-data-0', 'eu-west-1a'],
  ['redoubt-data-1', 'eu-west-1b'],
  ['redoubt-data-2', 'eu-west-1c'],
  ['redoubt-data-3', 'eu-west-1b'],
  ['redoubt-data-4', 'eu-west-1d'],
]);
const lookup = async (pod: string) => nodeZones.get(pod);
const members = [
  { id: 'redoubt-data-0', zone: 'redoubt-data-0' },
  { id: 'redoubt-data-1', zone: 'redoubt-data-1' },
  { id: 'redoubt-data-2', zone: 'redoubt-data-2' },
];

describe('the placement zone of a data node added under Kubernetes', () => {
  it('is the placement zone of the members in the same Kubernetes zone', async () => {
    expect(await resolvePlacementZone('redoubt-data-3', members, lookup)).toBe('redoubt-data-1');
  });

  it('is the label itself in a zone no member is in', async () => {
    expect(await resolvePlacementZone('redoubt-data-4', members, lookup)).toBe('eu-west-1d');
  });

  it('is unknown for a pod not scheduled yet, and a member that cannot be read counts as no zone', async () => {
    expect(await resolvePlacementZone('redoubt-data-9', members, lookup)).toBeUndefined();
    const failing = async (pod: string) => {
      if (pod === 'redoubt-data-1') throw new Error('403');
      return nodeZones.get(pod);
    };
    expect(await resolvePlacementZone('redoubt-data-3', members, failing)).toBe('eu-west-1b');
  });

  it('placementZoneFor prefers the first member in that zone', () => {
    expect(
      placementZoneFor('z1', [
        { id: 'a', zone: 'za', nodeZone: 'z2' },
        { id: 'b', zone: 'zb', nodeZone: 'z1' },
      ]),
    ).toBe('zb');
  });
});
