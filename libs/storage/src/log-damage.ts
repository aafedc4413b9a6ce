import { closeSync, fdatasyncSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { RedoubtError } from '@redoubt/errors';
import { forEachFrame } from './log-frame.js';
import { nodeFileSystem } from './log-file-system.js';
import { listSegments, readDrops, segmentPath } from './log-files.js';
import { damageStoredRecord } from './record-layout.js';

/**
 * FOR TESTS (corrupt-for-test.ts): damages, in a log directory that a running node may have open, the
 * stored bytes of the frame that holds a key's current state (the highest sequence number, as replay
 * decides). The node reads records from disk on every get, so it sees the damage at once.
 */
export function damageInLog(
  dir: string,
  partitions: number,
  partition: number,
  key: string,
  part: 'value' | 'header',
): void {
  const dropped = readDrops(nodeFileSystem, dir).get(partition) ?? 0;
  let found: { path: string; at: number; length: number; seq: number } | undefined;
  for (const id of listSegments(nodeFileSystem, dir)) {
    const path = segmentPath(dir, id);
    forEachFrame(readFileSync(path), partitions, (head, at) => {
      const current = head.partition === partition && head.key === key && head.seq >= dropped;
      if (current && (found === undefined || head.seq > found.seq)) {
        found = { path, at: at + head.storedAt, length: head.length - head.storedAt, seq: head.seq };
      }
    });
  }
  if (found === undefined) {
    throw new RedoubtError('RECORD_NOT_FOUND', `no stored record for key ${JSON.stringify(key)}`);
  }
  const fd = openSync(found.path, 'r+');
  try {
    const stored = Buffer.alloc(found.length);
    readSync(fd, stored, 0, found.length, found.at);
    const damaged = damageStoredRecord(stored, part);
    writeSync(fd, damaged, 0, damaged.length, found.at);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
