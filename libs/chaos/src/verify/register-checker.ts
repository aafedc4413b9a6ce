import type { WriteRecord } from '../history/write-history.js';
import type { ReadResult } from '../load/gateway-client.js';

/** An acknowledged write that a read after it did not return, because an earlier write won over it. */
export interface LostUpdate {
  key: string;
  /** The acknowledged write that is gone. */
  lost: { id: number; value: string; version: string | null; invokedAt: number };
  /** The write the read returned: it had finished before the lost one began. */
  read: { id: number; version: string | null; completedAt: number };
}

export interface RegisterCheckResult {
  valid: boolean;
  /** Keys with more than one acknowledged write (the overwritten keys this check is about). */
  overwrittenKeys: number;
  /** Acknowledged writes checked against the read that followed them. */
  writesChecked: number;
  lostUpdates: LostUpdate[];
}

/**
 * Per key, a read-your-acknowledged-writes register check in real time (the chaos runner's own clock): a
 * quorum read made after an acknowledged write must return that write or one that had not finished before
 * it began (a later or concurrent write). Returning a write that had *finished before the acknowledged one
 * began* means the acknowledged update was lost: what happens when a stale reply counts toward W and the
 * earlier write carries a version from a clock running ahead (decision 0016). The set check (set-checker)
 * compares versions and cannot see it; this compares the times the runner saw.
 *
 * Only acknowledged producers can convict: an unknown write may take effect any time after it was sent
 * (Jepsen's `info`), so reading it back proves nothing about order. Values are unique per write, so the
 * value read names its producer. Reads are the final quorum reads after healing.
 */
export function checkRegisters(
  writes: readonly WriteRecord[],
  reads: ReadonlyMap<string, ReadResult>,
): RegisterCheckResult {
  const byValue = new Map<string, WriteRecord>();
  const acknowledgedByKey = new Map<string, WriteRecord[]>();
  for (const write of writes) {
    byValue.set(write.value, write);
    if (write.status !== 'ok') continue;
    const list = acknowledgedByKey.get(write.key);
    if (list) list.push(write);
    else acknowledgedByKey.set(write.key, [write]);
  }
  const result: RegisterCheckResult = { valid: true, overwrittenKeys: 0, writesChecked: 0, lostUpdates: [] };
  for (const [key, acknowledged] of acknowledgedByKey) {
    if (acknowledged.length > 1) result.overwrittenKeys += 1;
    const read = reads.get(key);
    if (!read || read.status !== 'found') continue; // missing/unreadable: the set check's business
    const producer = byValue.get(read.value);
    if (!producer || producer.key !== key || producer.status !== 'ok' || producer.completedAt === null) {
      result.writesChecked += acknowledged.length;
      continue;
    }
    for (const write of acknowledged) {
      result.writesChecked += 1;
      if (write === producer || write.invokedAt <= producer.completedAt) continue;
      result.lostUpdates.push({
        key,
        lost: { id: write.id, value: write.value, version: write.version, invokedAt: write.invokedAt },
        read: { id: producer.id, version: read.version, completedAt: producer.completedAt },
      });
    }
  }
  result.valid = result.lostUpdates.length === 0;
  return result;
}
