import { createWriteStream, type WriteStream } from 'node:fs';

/**
 * Jepsen's vocabulary for a write's fate:
 * - `invoked`: sent, no answer yet
 * - `ok`: acknowledged (2xx with its version): it must survive everything
 * - `failed`: definitely not acknowledged and not applied by quorum (refused, or 503 QUORUM_NOT_REACHED
 *   with confirmed < W and no replica in doubt)
 * - `unknown`: may or may not have been applied (timeout, connection reset after sending, 503 with replicas
 *   in doubt, 5xx): it may show up later or never; both are fine
 */
export type WriteStatus = 'invoked' | 'ok' | 'failed' | 'unknown';

export interface QuorumDetails {
  confirmed: number;
  required: number;
  unknown: number;
}

export interface WriteOutcome {
  status: Exclude<WriteStatus, 'invoked'>;
  /** The record version (ETag) of an acknowledged write. */
  version?: string | undefined;
  httpStatus?: number | undefined;
  /** Catalogue code or transport error code. */
  error?: string | undefined;
  quorum?: QuorumDetails | undefined;
}

export interface WriteRecord {
  id: number;
  key: string;
  value: string;
  /** Which gateway it went to. */
  gateway: string;
  invokedAt: number;
  completedAt: number | null;
  status: WriteStatus;
  version: string | null;
  httpStatus: number | null;
  error: string | null;
  quorum: QuorumDetails | null;
}

export interface HistoryCounts {
  invoked: number;
  ok: number;
  failed: number;
  unknown: number;
}

/**
 * Every write of a run, in invocation order. With a file, each invocation and completion is appended as a
 * JSON line as it happens (the Jepsen-style history), so a crashed run still leaves its evidence.
 */
export class WriteHistory {
  private readonly writes: WriteRecord[] = [];
  private readonly stream: WriteStream | undefined;

  constructor(
    file?: string,
    /** Told of every completed write (the chaos metrics). */
    private readonly onComplete?: (write: WriteRecord) => void,
  ) {
    this.stream = file ? createWriteStream(file, { flags: 'w' }) : undefined;
  }

  invoke(key: string, value: string, gateway: string, at = Date.now()): number {
    const id = this.writes.length + 1;
    this.writes.push({
      id,
      key,
      value,
      gateway,
      invokedAt: at,
      completedAt: null,
      status: 'invoked',
      version: null,
      httpStatus: null,
      error: null,
      quorum: null,
    });
    this.stream?.write(JSON.stringify({ type: 'invoke', id, key, value, gateway, at }) + '\n');
    return id;
  }

  complete(id: number, outcome: WriteOutcome, at = Date.now()): void {
    const write = this.writes[id - 1];
    if (!write || write.status !== 'invoked') return;
    write.status = outcome.status;
    write.completedAt = at;
    write.version = outcome.version ?? null;
    write.httpStatus = outcome.httpStatus ?? null;
    write.error = outcome.error ?? null;
    write.quorum = outcome.quorum ?? null;
    this.stream?.write(JSON.stringify({ type: 'complete', id, at, ...outcome }) + '\n');
    this.onComplete?.(write);
  }

  /** A whole write at once (histories imported from k6). */
  add(write: Omit<WriteRecord, 'id'>): number {
    const id = this.invoke(write.key, write.value, write.gateway, write.invokedAt);
    if (write.status !== 'invoked')
      this.complete(
        id,
        {
          status: write.status,
          version: write.version ?? undefined,
          httpStatus: write.httpStatus ?? undefined,
          error: write.error ?? undefined,
          quorum: write.quorum ?? undefined,
        },
        write.completedAt ?? write.invokedAt,
      );
    return id;
  }

  /** Writes still without an answer become `unknown` (the run ended or was aborted under them). */
  closeOpen(at = Date.now()): number {
    let closed = 0;
    for (const write of this.writes) {
      if (write.status !== 'invoked') continue;
      this.complete(write.id, { status: 'unknown', error: 'NO_ANSWER_BEFORE_END' }, at);
      closed += 1;
    }
    return closed;
  }

  all(): readonly WriteRecord[] {
    return this.writes;
  }

  counts(): HistoryCounts {
    const counts: HistoryCounts = { invoked: 0, ok: 0, failed: 0, unknown: 0 };
    for (const w of this.writes) counts[w.status] += 1;
    return counts;
  }

  async close(): Promise<void> {
    const stream = this.stream;
    if (stream) await new Promise<void>((resolve) => stream.end(() => resolve()));
  }
}
