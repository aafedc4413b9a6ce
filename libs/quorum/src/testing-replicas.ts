import type { PutOutcome } from '@redoubt/cluster-client';
import { RedoubtError } from '@redoubt/errors';
import type { StoredRecord } from '@redoubt/records';
import type { ReplicaClient } from './replica-client.js';

/**
 * Replicas for timing control in unit tests only (behaviour about data is tested against real data
 * nodes): one that never answers, one that refuses, one that acks a put at once. Each counts its calls.
 */
export class ScriptedReplica implements ReplicaClient {
  puts = 0;
  gets = 0;

  constructor(
    readonly id: string,
    private readonly behaviour: 'ack' | 'refuse' | 'hang',
  ) {}

  put(_partition: number, record: StoredRecord): Promise<PutOutcome> {
    this.puts += 1;
    return this.answer({ status: 'applied', current: record.version });
  }

  get(): Promise<StoredRecord | null> {
    this.gets += 1;
    return this.answer(null);
  }

  private answer<T>(value: T): Promise<T> {
    switch (this.behaviour) {
      case 'ack':
        return Promise.resolve(value);
      case 'refuse':
        return Promise.reject(new RedoubtError('REPLICA_UNAVAILABLE', `${this.id} refused the connection`));
      default:
        return new Promise<T>(() => undefined);
    }
  }
}
