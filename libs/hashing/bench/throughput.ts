import HashRing from 'hashring';
import { createStrategy, hash64, jumpHash, partitionOf, type ServerMappingStrategy } from '../src/index.js';
import { bestRate, type Rate } from './best-rate.js';

export interface ThroughputRow {
  operation: string;
  /** operations per second, best pass */
  opsPerSecond: number;
  medianOpsPerSecond: number;
  /** the hashring figure this row is compared with */
  reference: string;
  ratioToReference: number;
}

/**
 * Every loop below is its own function on purpose: a shared loop calling different callbacks would become
 * megamorphic and measure the call dispatch instead of the operation.
 */
function loopHashringGet(ring: HashRing, keys: readonly string[]): number {
  let hits = 0;
  for (let i = 0; i < keys.length; i++) if (ring.get(keys[i]!) === 's0') hits++;
  return hits;
}

function loopHashringHash(ring: HashRing, keys: readonly string[]): number {
  let x = 0;
  for (let i = 0; i < keys.length; i++) x ^= ring.hashValue(keys[i]!);
  return x;
}

function loopHash64(keys: readonly string[]): number {
  let zeros = 0;
  for (let i = 0; i < keys.length; i++) if (hash64(keys[i]!) === 0n) zeros++;
  return zeros;
}

function loopPartitionOf(keys: readonly string[]): number {
  let x = 0;
  for (let i = 0; i < keys.length; i++) x ^= partitionOf(keys[i]!);
  return x;
}

function loopJumpHash(hashes: readonly bigint[], buckets: number): number {
  let x = 0;
  for (let i = 0; i < hashes.length; i++) x ^= jumpHash(hashes[i]!, buckets);
  return x;
}

function loopServerFor(strategy: ServerMappingStrategy, hashes: readonly bigint[]): number {
  let hits = 0;
  for (let i = 0; i < hashes.length; i++) if (strategy.serverFor(hashes[i]!) === 's0') hits++;
  return hits;
}

function loopStringToServer(strategy: ServerMappingStrategy, keys: readonly string[]): number {
  let hits = 0;
  for (let i = 0; i < keys.length; i++) if (strategy.serverFor(hash64(keys[i]!)) === 's0') hits++;
  return hits;
}

export function measureThroughput(
  servers: number,
  keyCount: number,
  referenceKeyCount: number,
): ThroughputRow[] {
  const ids = Array.from({ length: servers }, (_, i) => `s${i}`);
  const keys = Array.from({ length: keyCount }, (_, i) => `user:${i}:profile`);
  const referenceKeys = keys.slice(0, referenceKeyCount);
  const hashes = keys.map((k) => hash64(k));
  // hashring defaults: 40 vnodes x 4 points = 160 points per server (ketama), md5, a 5000-entry LRU cache that
  // distinct keys always miss.
  const ring = new HashRing(ids);

  const rates = new Map<string, Rate>();
  const rate = (name: string, ops: number, pass: () => number): void =>
    void rates.set(name, bestRate(ops, pass));
  rate('hashring.get', referenceKeys.length, () => loopHashringGet(ring, referenceKeys));
  rate('hashring.hashValue', referenceKeys.length, () => loopHashringHash(ring, referenceKeys));
  rate('hash64', keys.length, () => loopHash64(keys));
  rate('partitionOf', keys.length, () => loopPartitionOf(keys));
  rate('jumpHash16', hashes.length, () => loopJumpHash(hashes, 16));
  rate('jumpHashN', hashes.length, () => loopJumpHash(hashes, servers));
  for (const kind of ['mod', 'jump', 'rendezvous', 'ring'] as const) {
    const strategy = createStrategy(
      kind,
      ids.map((id) => ({ id })),
    );
    rate(`serverFor:${kind}`, hashes.length, () => loopServerFor(strategy, hashes));
  }
  for (const kind of ['jump', 'ring'] as const) {
    const strategy = createStrategy(
      kind,
      ids.map((id) => ({ id })),
    );
    rate(`stringToServer:${kind}`, keys.length, () => loopStringToServer(strategy, keys));
  }

  const get = rates.get('hashring.get')!;
  const hash = rates.get('hashring.hashValue')!;
  const row = (operation: string, name: string, reference: string, against: Rate): ThroughputRow => {
    const r = rates.get(name)!;
    return {
      operation,
      opsPerSecond: r.best,
      medianOpsPerSecond: r.median,
      reference,
      ratioToReference: r.best / against.best,
    };
  };
  const lookup = `hashring.get(key), ${servers} servers`;
  const md5 = 'hashring.hashValue(key) (md5)';
  return [
    row(`hashring.get(key), ${servers} servers [reference]`, 'hashring.get', lookup, get),
    row('hashring.hashValue(key) (md5) [reference]', 'hashring.hashValue', md5, hash),
    row('hash64(string key)', 'hash64', md5, hash),
    row('partitionOf(string key), 4096 partitions', 'partitionOf', md5, hash),
    row('jumpHash(keyHash, 16)', 'jumpHash16', lookup, get),
    row(`jumpHash(keyHash, ${servers})`, 'jumpHashN', lookup, get),
    ...(['mod', 'jump', 'rendezvous', 'ring'] as const).map((kind) =>
      row(`${kind}.serverFor(keyHash), ${servers} servers`, `serverFor:${kind}`, lookup, get),
    ),
    ...(['jump', 'ring'] as const).map((kind) =>
      row(`${kind}.serverFor(hash64(key)), ${servers} servers`, `stringToServer:${kind}`, lookup, get),
    ),
  ];
}
