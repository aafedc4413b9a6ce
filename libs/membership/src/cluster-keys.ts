/**
 * Where the cluster's shared state lives in Redis. Everything sits under `<prefix>:cluster:` so that one
 * Redis can hold several clusters (and tests their own), next to the BullMQ queues of the same prefix
 * (`<prefix>:<queue>:...`; no queue is called `cluster`).
 *
 * | key / channel                     | type    | what                                                        |
 * | --------------------------------- | ------- | ----------------------------------------------------------- |
 * | `<p>:cluster:placement`           | hash    | the current epoch: `epoch`, `matrix` (toBinary, checksummed), `nodes` (JSON addresses), `publishedAt`, `publishedBy`, `reason` |
 * | `<p>:cluster:placement` (channel) | pub/sub | the epoch number, published with every new epoch            |
 * | `<p>:cluster:nodes`               | hash    | node id -> NodeRecord JSON (membership)                     |
 * | `<p>:cluster:services`            | hash    | service name -> ServiceRecord JSON (health as the leader sees it) |
 * | `<p>:cluster:membership` (channel)| pub/sub | a node or service id whose record changed                   |
 * | `<p>:cluster:monitor:leader`      | string  | the leader lease: JSON {id, token, url, since}, with a PX expiry |
 * | `<p>:cluster:monitor:fence`       | string  | the fencing counter (INCR on every acquisition)             |
 * | `<p>:cluster:events`              | hash    | event id -> RecoveryEvent JSON                              |
 * | `<p>:cluster:events:index`        | zset    | event ids by detection time (bounded)                       |
 */
export interface ClusterKeys {
  placement: string;
  placementChannel: string;
  nodes: string;
  services: string;
  membershipChannel: string;
  leaderLease: string;
  fence: string;
  events: string;
  eventsIndex: string;
}

export const DEFAULT_CLUSTER_PREFIX = 'redoubt';

export function clusterKeys(prefix: string = DEFAULT_CLUSTER_PREFIX): ClusterKeys {
  const base = `${prefix}:cluster`;
  return {
    placement: `${base}:placement`,
    placementChannel: `${base}:placement`,
    nodes: `${base}:nodes`,
    services: `${base}:services`,
    membershipChannel: `${base}:membership`,
    leaderLease: `${base}:monitor:leader`,
    fence: `${base}:monitor:fence`,
    events: `${base}:events`,
    eventsIndex: `${base}:events:index`,
  };
}
