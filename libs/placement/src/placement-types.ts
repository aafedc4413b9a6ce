/**
 * The shapes of the placement library. A placement matrix is the P x T 0/1 matrix Q of the system brief
 * ("partition i has a replica on server j"), stored as its R ones per row: P x R server indices. Column
 * sums of Q are the per-server loads; with a vector A of partition sizes, A x Q is the load in bytes.
 *
 * The same shapes serve the backup matrix: "servers" are then backup targets, "zones" their sites.
 */

/** A server (or backup target): a column of the matrix. `weight` is its relative capacity. */
export interface ServerSpec {
  id: string;
  zone: string;
  weight: number;
}

/** Backup targets are described exactly like servers (zone = site, weight = capacity). */
export type BackupTargetSpec = ServerSpec;

export interface PlacementMatrix {
  readonly epoch: number;
  /** P: the number of partitions (rows). */
  readonly partitions: number;
  /** R: replicas per partition (ones per row). */
  readonly replicas: number;
  /** Column order; cells index into this list. */
  readonly servers: readonly ServerSpec[];
  /** Length P*R; cells[p*R + r] is an index into `servers`; r = 0 is the primary. Read-only by contract. */
  readonly cells: Uint16Array;
}

export interface BuildOptions {
  /** P, default 4096. */
  partitions?: number;
  /** R, default 3. */
  replicas?: number;
  /** Default 1. */
  epoch?: number;
}

export interface RebalanceOptions {
  /** A new replica count; defaults to the previous matrix's. */
  replicas?: number;
}

/** One changed cell. `from` null: a new replica is created; `to` null: a replica is dropped. */
export interface Move {
  partition: number;
  from: string | null;
  to: string | null;
}

export interface MovePlan {
  fromEpoch: number;
  toEpoch: number;
  moves: Move[];
  /** Number of changed cells (= moves.length). */
  replicasAffected: number;
  /** Number of partitions with at least one changed cell. */
  partitionsAffected: number;
}

export type ViolationRule = 'ROW_SHORT' | 'DUPLICATE_IN_ROW' | 'ZONE_RULE' | 'UNKNOWN_SERVER' | 'IMBALANCE';

export interface Violation {
  rule: ViolationRule;
  message: string;
  partition?: number;
  server?: string;
}

export interface ValidateOptions {
  /**
   * Allowed relative deviation of a server's load from its fair share, on top of the one cell that integer
   * rounding needs. Default 0.01.
   */
  tolerance?: number;
}

/** The JSON form: cells as base64 of little-endian uint16, and the SHA-256 of the canonical binary body. */
export interface PlacementJSON {
  format: 'redoubt.placement';
  version: 1;
  epoch: number;
  partitions: number;
  replicas: number;
  servers: ServerSpec[];
  cells: string;
  checksum: string;
}

/** Marks a cell that holds no replica (only ever seen in hand-made or damaged matrices). */
export const EMPTY_CELL = 0xffff;
/** Cells are uint16 and EMPTY_CELL is reserved. */
export const MAX_SERVERS = 0xfffe;
/** Keeps P*R cells well inside one typed array (and the binary form's uint32 fields). */
export const MAX_PARTITIONS = 1 << 24;
export const DEFAULT_PARTITIONS = 4096;
export const DEFAULT_REPLICAS = 3;
export const DEFAULT_TOLERANCE = 0.01;
