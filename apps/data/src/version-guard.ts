import { RedoubtError } from '@redoubt/errors';
import { parseVersion, type StoredRecord } from '@redoubt/records';
import type { PutItem, PutManyResult, RecordStore } from '@redoubt/storage';

/**
 * The data node refuses a record whose version's wall time is more than `maxDriftMs` ahead of its own
 * clock (VERSION_AHEAD_OF_CLOCK, 409). Last writer wins on versions, so without this a holder of the
 * cluster token could write a key at year 9999 and pin it forever: no later write would ever win.
 * Legitimate writers never send such a version — the gateway and point-in-time undo stamp versions from
 * their own clock (undo steps one tick above the current version, which this rule keeps within the bound),
 * and replication, hinted handoff, repair, rebalance and restore re-send versions from the past.
 */
export function refuseFutureVersion(
  record: StoredRecord,
  maxDriftMs: number,
  now: number = Date.now(),
): void {
  let wall: number;
  try {
    wall = parseVersion(record.version).wall;
  } catch {
    return; // a malformed version is the store's to refuse (VERSION_INVALID)
  }
  if (wall > now + maxDriftMs) {
    throw new RedoubtError(
      'VERSION_AHEAD_OF_CLOCK',
      `version ${record.version} is ${wall - now} ms ahead of this data node's clock; ` +
        `at most ${maxDriftMs} ms (MAX_CLOCK_DRIFT_MS) is accepted`,
      { version: record.version, aheadMs: wall - now, maxDriftMs },
    );
  }
}

/** The store as the node's routes see it: every put and putMany passes refuseFutureVersion first. */
export function guardFutureVersions(
  store: RecordStore,
  maxDriftMs: number,
  clock: () => number = Date.now,
): RecordStore {
  const put: RecordStore['put'] = async (partition, record) => {
    refuseFutureVersion(record, maxDriftMs, clock());
    return store.put(partition, record);
  };
  const putMany: RecordStore['putMany'] = async (items: readonly PutItem[]) => {
    const now = clock();
    const results: PutManyResult[] = new Array(items.length);
    const passed: PutItem[] = [];
    const at: number[] = [];
    items.forEach((item, i) => {
      try {
        refuseFutureVersion(item.record, maxDriftMs, now);
        passed.push(item);
        at.push(i);
      } catch (error) {
        results[i] = error as RedoubtError;
      }
    });
    const outcomes = passed.length > 0 ? await store.putMany(passed) : [];
    outcomes.forEach((outcome, j) => (results[at[j]!] = outcome));
    return results;
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === 'put') return put;
      if (property === 'putMany') return putMany;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
