/**
 * The placement zone of a data node added without `--zone` under Kubernetes (docs/deploy.md, decision
 * "kubernetes-deployment").
 *
 * The zone is the `topology.kubernetes.io/zone` label of the Node its pod runs on, read through the API
 * (`KubernetesDriver.zoneOf`). Placement only compares zones for equality, so the name does not matter,
 * but it must be the same name the members of that zone already carry: the initial data nodes start with
 * no DATA_NODE_ZONES (each its own zone, which the StatefulSet's zone spread makes true), so a new node in
 * the zone of `redoubt-data-0` gets the placement zone `redoubt-data-0`, not the label's value.
 */
export interface ZonedMember {
  id: string;
  /** Its zone in the placement. */
  zone: string;
  /** Its Node's zone label, or undefined when unknown (not scheduled, not readable). */
  nodeZone: string | undefined;
}

export function placementZoneFor(nodeZone: string, members: readonly ZonedMember[]): string {
  return members.find((m) => m.nodeZone === nodeZone)?.zone ?? nodeZone;
}

/** Resolves a new node's placement zone from the API; undefined when its pod has no zone (the caller's default). */
export async function resolvePlacementZone(
  node: string,
  members: readonly { id: string; zone: string }[],
  nodeZoneOf: (pod: string) => Promise<string | undefined>,
): Promise<string | undefined> {
  const own = await nodeZoneOf(node);
  if (!own) return undefined;
  const zoned: ZonedMember[] = [];
  for (const member of members) {
    if (member.id === node) continue;
    zoned.push({ ...member, nodeZone: await nodeZoneOf(member.id).catch(() => undefined) });
  }
  return placementZoneFor(own, zoned);
}
