export { clusterKeys, DEFAULT_CLUSTER_PREFIX, type ClusterKeys } from './cluster-keys.js';
export {
  PlacementStore,
  type NodeAddress,
  type PublishedPlacement,
  type PublishOptions,
} from './placement-store.js';
export {
  PlacementSubscriber,
  type PlacementSubscriberOptions,
  type PlacementSubscriberEvents,
  type PlacementChange,
  type PlacementSource,
} from './placement-subscriber.js';
export {
  LeaderLease,
  parseLeader,
  type FencingToken,
  type LeaderInfo,
  type LeaderLeaseOptions,
  type LeaderLeaseEvents,
} from './leader-lease.js';
export {
  NodeRegistry,
  type NodeRecord,
  type ServiceRecord,
  type MembershipState,
  type HealthState,
} from './node-registry.js';
export { EventLog, type RecoveryEvent, type RecoveryAction, type EpochChange } from './event-log.js';
export { followPlacement, type PlacementFollower, type PlacementTarget } from './placement-follower.js';
