import type { OrchestratorKind } from '@redoubt/orchestrator';
import type { HealthSnapshot } from '@redoubt/failure-detection';
import type { MembershipState, RecoveryEvent } from '@redoubt/membership';
import type { Redundancy } from './redundancy.js';

export interface NodeStatus {
  id: string;
  url: string;
  zone: string;
  weight: number;
  membership: MembershipState;
  health: HealthSnapshot['state'];
  healthSince: number;
  lastOkAt: number | null;
  lastError: string | null;
  /** Replicas it holds in the current epoch, and how many of them as primary. */
  replicas: number;
  primaries: number;
  note?: string;
}

export interface ServiceStatus {
  name: string;
  kind: string;
  url: string;
  orchestratorName: string;
  health: HealthSnapshot['state'];
  since: number;
  lastOkAt: number | null;
  lastError: string | null;
  latencyMs: number | null;
}

/** GET /v1/cluster: everything an operator (or the chaos app) needs to judge the cluster at a glance. */
export interface ClusterStatus {
  monitor: {
    id: string;
    url: string;
    leader: boolean;
    leaderId: string | null;
    leaderUrl: string | null;
    orchestrator: OrchestratorKind;
    redis: 'up' | 'down';
    at: number;
  };
  placement: {
    epoch: number;
    partitions: number;
    replicas: number;
    writeQuorum: number;
    source: string;
    servers: string[];
  };
  nodes: NodeStatus[];
  services: ServiceStatus[];
  redundancy: Redundancy & {
    pendingMoves: number;
    failedMoves: number;
    pendingBytes: number;
    /** Pending bytes at the configured bandwidth (null: nothing pending). */
    estimatedSecondsToFullRedundancy: number;
    movesReadAt: number | null;
  };
  /** Jobs per queue and state, as BullMQ counts them. */
  queues: Record<string, Record<string, number>>;
  events: RecoveryEvent[];
  notes: string[];
}
