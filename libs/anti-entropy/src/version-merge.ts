import { isIntact, type StoredRecord } from '@redoubt/records';

export interface GroupRecords {
  /** Node ids of the group (identical content in the streamed buckets). */
  members: string[];
  /** What the group's representative streamed for the batch's buckets. */
  records: Iterable<StoredRecord>;
}

export interface MergePlan {
  /** Per group (same order as the input), the newest records its members lack or hold older. */
  pushes: StoredRecord[][];
  /** Distinct keys seen across all groups. */
  keys: number;
  /** Streamed records that failed their checksum: never chosen, never copied. */
  corrupt: { node: string; key: string }[];
}

/**
 * Last writer wins, per key, across groups: the record with the greatest version (tombstones are records
 * like any other, so a newer delete beats an older write and an older delete loses to a newer write).
 * Each group is then sent exactly what it lacks: keys it does not have, or has at an older version.
 * A group that already holds the newest version is sent nothing for that key.
 */
export function planMerge(groups: readonly GroupRecords[]): MergePlan {
  const newest = new Map<string, { record: StoredRecord; held: (string | undefined)[] }>();
  const corrupt: { node: string; key: string }[] = [];
  groups.forEach((group, index) => {
    for (const record of group.records) {
      if (!isIntact(record)) {
        corrupt.push({ node: group.members[0]!, key: record.key });
        continue;
      }
      let entry = newest.get(record.key);
      if (!entry) {
        entry = { record, held: new Array<string | undefined>(groups.length) };
        newest.set(record.key, entry);
      } else if (record.version > entry.record.version) {
        entry.record = record;
      }
      entry.held[index] = record.version;
    }
  });
  const pushes: StoredRecord[][] = groups.map(() => []);
  for (const { record, held } of newest.values()) {
    for (let index = 0; index < groups.length; index++) {
      const version = held[index];
      if (version === undefined || version < record.version) pushes[index]!.push(record);
    }
  }
  return { pushes, keys: newest.size, corrupt };
}
