import { isRedoubtError } from '@redoubt/errors';
import { makeRecord, type StoredRecord } from '@redoubt/records';
import { RecordStore } from '../record-store.js';
import { placeKey } from '../storage-keys.js';
import { SimulatedDisk, type Random } from './simulated-disk.js';

/**
 * The power-loss harness: a seeded workload of puts (new versions, tombstones, re-sent older versions
 * that must answer stale), partition drops and compaction (tiny segments) runs against the log engine
 * on a `SimulatedDisk`; the power is cut at a random mutating call; the store is reopened on what the
 * disk kept and checked; then the workload goes on and the power is cut again. After every cut:
 *
 * - every acknowledged put is readable with its version or a newer one (a `stale` answer counts for
 *   the version it deferred to), unless a drop of its partition was started after it;
 * - nothing served is corrupt or invented: every record read is a version some put sent, with that
 *   put's exact value and tombstone flag, and no record a finished drop removed comes back;
 * - the maintained digest of every partition equals the one recomputed from its records.
 */

const PARTITIONS = 8;
const KEYS = 24;
const STORE = '/node/store';

export interface PowerLossOptions {
  seed: number;
  trials: number;
  /** Power cuts per trial (the store is reopened after each). Default 3. */
  cuts?: number;
  /** Operations each workload round issues. Default 40. */
  operations?: number;
  /** Only this trial (to replay a failure). */
  onlyTrial?: number;
  /** Every event of the run, for replaying a failure (POWER_LOSS_TRACE=1 in the CLI). */
  trace?: (line: string) => void;
}

export interface PowerLossReport {
  seed: number;
  trials: number;
  crashPoints: number;
  acknowledgedPuts: number;
  acknowledgedDrops: number;
  recordsChecked: number;
  /** Segments deleted by compaction (and empty ones at open) over the run. */
  segmentsDeleted: number;
  reopenMs: number;
}

/** A failed check: names the seed and trial that reproduce it. */
export class PowerLossViolation extends Error {}

/** Sent versions of one key: version -> what was sent, in the order issued. */
interface Sent {
  /** When it was first sent. */
  issued: number;
  /** When it was last sent (a re-send after a drop may store it again). */
  lastIssued: number;
  value: Buffer;
  tombstone: boolean;
}

class Model {
  readonly sent = new Map<string, Map<string, Sent>>();
  /** key -> the newest version an acknowledgement promised, and when it was issued. */
  readonly required = new Map<string, { version: string; issued: number }>();
  /** partition -> records issued before this index were removed by a finished drop. */
  readonly droppedBelow = new Map<number, number>();
  issued = 0;
  wall = 1_000_000;
  trace: (line: string) => void = () => undefined;
  acknowledgedPuts = 0;
  acknowledgedDrops = 0;

  /** partition -> when a drop of it was last called. */
  readonly dropCalled = new Map<number, number>();

  require(key: string, version: string, issued: number): void {
    // A drop called after the write may remove it, whenever the answer comes.
    if (issued < (this.dropCalled.get(placeKey(key, PARTITIONS).partition) ?? -1)) return;
    const current = this.required.get(key);
    if (current === undefined || version > current.version) this.required.set(key, { version, issued });
  }
}

export async function runPowerLossTrials(options: PowerLossOptions): Promise<PowerLossReport> {
  const report: PowerLossReport = {
    seed: options.seed,
    trials: options.trials,
    crashPoints: 0,
    acknowledgedPuts: 0,
    acknowledgedDrops: 0,
    recordsChecked: 0,
    segmentsDeleted: 0,
    reopenMs: 0,
  };
  for (let trial = 0; trial < options.trials; trial++) {
    if (options.onlyTrial !== undefined && trial !== options.onlyTrial) continue;
    const random = rng(options.seed * 100_003 + trial);
    const model = new Model();
    model.trace = options.trace ?? (() => undefined);
    let disk = new SimulatedDisk();
    disk.mkdirSync('/node');
    disk.fsyncSync(disk.openSync('/', 'r'));
    for (let cut = 0; cut < (options.cuts ?? 3); cut++) {
      const where = `seed ${options.seed}, trial ${trial}, cut ${cut}`;
      const started = performance.now();
      let store: RecordStore;
      try {
        store = open(disk);
      } catch (error) {
        throw new PowerLossViolation(`${where}: the store did not reopen: ${String(error)}`);
      }
      report.reopenMs += performance.now() - started;
      report.recordsChecked += verify(store, model, where);
      // The cut falls somewhere in this round's mutating calls (the first one up to a bit past the last).
      disk.crashAfter(1 + random(Math.max(1, (options.operations ?? 40) * 3)), random);
      await workload(store, model, random, options.operations ?? 40, () => disk.crashed);
      // A round that ended before its cut point is cut at its end.
      const image = disk.cutPower();
      report.segmentsDeleted += disk.unlinks;
      await store.close().catch(() => undefined);
      model.trace(`power cut (${disk.mutations} changes); reopen`);
      report.crashPoints++;
      disk = image;
    }
    const store = open(disk);
    report.recordsChecked += verify(store, model, `seed ${options.seed}, trial ${trial}, end`);
    await store.close();
    report.acknowledgedPuts += model.acknowledgedPuts;
    report.acknowledgedDrops += model.acknowledgedDrops;
  }
  return report;
}

function open(disk: SimulatedDisk): RecordStore {
  return RecordStore.open({
    path: STORE,
    partitions: PARTITIONS,
    engine: 'log',
    segmentBytes: 2_048,
    fileSystem: disk,
  });
}

function record(key: string, model: Model, value: Buffer, tombstone = false): StoredRecord {
  const version = versionOf(model.wall++);
  const sent = model.sent.get(key) ?? new Map<string, Sent>();
  model.sent.set(key, sent);
  const issued = model.issued++;
  sent.set(version, { issued, lastIssued: issued, value, tombstone });
  return makeRecord({ key, value, contentType: 'application/octet-stream', version, tombstone });
}

function versionOf(wall: number): string {
  return `${wall.toString(16).padStart(12, '0')}.0000.pl`;
}

/** Puts, re-sent versions, tombstones and drops, several in flight at once so groups form. */
async function workload(
  store: RecordStore,
  model: Model,
  random: Random,
  operations: number,
  crashed: () => boolean,
): Promise<void> {
  const inFlight: Promise<void>[] = [];
  for (let op = 0; op < operations && !crashed(); op++) {
    const roll = random(100);
    if (roll < 4) {
      inFlight.push(drop(store, model, random(PARTITIONS), crashed));
    } else {
      const items = Array.from({ length: 1 + random(4) }, () => {
        const key = `k${random(KEYS)}`;
        const partition = placeKey(key, PARTITIONS).partition;
        const earlier = [...(model.sent.get(key)?.entries() ?? [])];
        if (roll < 20 && earlier.length > 0) {
          const [version, sent] = earlier[random(earlier.length)]!;
          const value = sent.value;
          const resent = makeRecord({
            key,
            value,
            contentType: 'application/octet-stream',
            version,
            tombstone: sent.tombstone,
          });
          sent.lastIssued = model.issued;
          return { partition, record: resent, issued: model.issued++ };
        }
        const tombstone = roll < 30;
        const value = tombstone ? Buffer.alloc(0) : valueOf(random);
        const fresh = record(key, model, value, tombstone);
        return { partition, record: fresh, issued: model.sent.get(key)!.get(fresh.version)!.issued };
      });
      inFlight.push(put(store, model, items, crashed));
    }
    if (random(4) === 0) await Promise.all(inFlight.splice(0));
  }
  await Promise.all(inFlight);
}

async function put(
  store: RecordStore,
  model: Model,
  items: { partition: number; record: StoredRecord; issued: number }[],
  crashed: () => boolean,
): Promise<void> {
  let results;
  try {
    results = await store.putMany(items);
  } catch {
    return; // failed (the power went): nothing acknowledged
  }
  if (crashed()) return; // answered after the cut: no client saw it
  results.forEach((result, i) => {
    if (isRedoubtError(result)) return;
    const { record: sent, issued } = items[i]!;
    model.trace(
      `ack ${sent.key} p${items[i]!.partition} ${sent.version} #${issued}: ${result.status} ${result.current}`,
    );
    model.acknowledgedPuts++;
    // A stale answer promises the version it deferred to, written by an earlier put (counted from its
    // first sending, so a drop after that forgets it).
    if (result.status === 'applied') model.require(sent.key, sent.version, issued);
    else model.require(sent.key, result.current, model.sent.get(sent.key)?.get(result.current)?.issued ?? 0);
  });
}

async function drop(store: RecordStore, model: Model, partition: number, crashed: () => boolean) {
  const calledAt = model.issued++;
  model.trace(`drop p${partition} called #${calledAt}`);
  model.dropCalled.set(partition, calledAt);
  // From the call on, what was sent before may be gone (a cut before the answer may keep it or not).
  forgetBefore(model, partition, calledAt);
  try {
    await store.dropPartition(partition);
  } catch {
    return;
  }
  if (crashed()) return;
  model.acknowledgedDrops++;
  model.trace(`drop p${partition} #${calledAt} acknowledged`);
  model.droppedBelow.set(partition, Math.max(model.droppedBelow.get(partition) ?? 0, calledAt));
  forgetBefore(model, partition, calledAt);
}

function forgetBefore(model: Model, partition: number, issued: number): void {
  for (const [key, required] of model.required) {
    if (placeKey(key, PARTITIONS).partition === partition && required.issued < issued) {
      model.required.delete(key);
    }
  }
}

function verify(store: RecordStore, model: Model, where: string): number {
  let checked = 0;
  for (const [key, versions] of model.sent) {
    const partition = placeKey(key, PARTITIONS).partition;
    let stored: StoredRecord | null;
    try {
      stored = store.get(partition, key);
    } catch (error) {
      throw new PowerLossViolation(`${where}: reading ${key} failed: ${String(error)}`);
    }
    const required = model.required.get(key);
    if (required !== undefined && (stored === null || stored.version < required.version)) {
      throw new PowerLossViolation(
        `${where}: ${key} lost its acknowledged version ${required.version}; it reads ${stored?.version ?? 'nothing'}`,
      );
    }
    if (stored === null) continue;
    checked++;
    const sent = versions.get(stored.version);
    if (sent === undefined || !sent.value.equals(stored.value) || sent.tombstone !== stored.tombstone) {
      throw new PowerLossViolation(`${where}: ${key} serves ${stored.version}, which no put sent as stored`);
    }
    if (sent.lastIssued < (model.droppedBelow.get(partition) ?? 0)) {
      throw new PowerLossViolation(
        `${where}: ${key} ${stored.version} came back after its partition was dropped`,
      );
    }
  }
  for (const { partition } of store.listPartitions()) {
    const kept = store.digest(partition);
    const recomputed = store.recomputeDigest(partition);
    if (
      kept.root !== recomputed.root ||
      kept.records !== recomputed.records ||
      kept.bytes !== recomputed.bytes
    ) {
      throw new PowerLossViolation(
        `${where}: partition ${partition}'s digest ${kept.root}/${kept.records} differs from its records' ${recomputed.root}/${recomputed.records}`,
      );
    }
  }
  return checked;
}

function valueOf(random: Random): Buffer {
  const value = Buffer.alloc(8 + random(160));
  for (let i = 0; i < value.length; i++) value[i] = random(256);
  return value;
}

/** mulberry32: a small seeded generator, so that a seed replays a run exactly. */
export function rng(seed: number): Random {
  let state = seed >>> 0;
  return (n: number) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    return Math.floor(unit * n);
  };
}
