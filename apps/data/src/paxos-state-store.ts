import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { AcceptorState, AcceptorStateStore } from '@redoubt/consensus';

/**
 * The Paxos acceptor's state, durable: its own LMDB environment in `<DATA_DIR>/paxos`, beside the record
 * store (which is the log engine's `log/` or LMDB's `data.mdb`, neither of which looks at this folder).
 * A separate environment because the state is not data: it must not enter digests, streams, backups or
 * repairs, and it is small (three ballots and at most one record per key ever written conditionally).
 *
 * Durable commits as the record store's LMDB engine has them (`overlappingSync: false`, never noSync):
 * `save` resolves once the transaction is on disk, so a promise or an accept sent is never forgotten by a
 * crash. lmdb-js batches concurrent puts into one transaction, so concurrent keys share an fsync.
 */
export class LmdbPaxosStateStore implements AcceptorStateStore {
  private readonly env: RootDatabase;
  private readonly states: Database<AcceptorState, string>;
  /** Saves not yet committed: lmdb-js reads see only committed transactions, `load` must see these too. */
  private readonly pending = new Map<string, AcceptorState>();

  constructor(dataDir: string) {
    const path = join(dataDir, 'paxos');
    mkdirSync(path, { recursive: true });
    this.env = open({ path, overlappingSync: false, noSync: false, noMetaSync: false, compression: false });
    this.states = this.env.openDB<AcceptorState, string>({ name: 'acceptor', encoding: 'msgpack' });
  }

  load(key: string): AcceptorState | undefined {
    return this.pending.get(key) ?? this.states.get(key);
  }

  async save(key: string, state: AcceptorState): Promise<void> {
    this.pending.set(key, state);
    try {
      await this.states.put(key, state);
    } finally {
      if (this.pending.get(key) === state) this.pending.delete(key);
    }
  }

  async close(): Promise<void> {
    await this.env.close();
  }
}
