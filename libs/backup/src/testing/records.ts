import { randomBytes } from 'node:crypto';
import { formatVersion, makeRecord, makeTombstone, type StoredRecord } from '@redoubt/records';

/** `count` records with distinct keys and increasing versions; every 7th is a tombstone. */
export function sampleRecords(
  count: number,
  options: { valueBytes?: number; startWall?: number; prefix?: string } = {},
): StoredRecord[] {
  const wall = options.startWall ?? 1_700_000_000_000;
  return Array.from({ length: count }, (_, i) => {
    const key = `${options.prefix ?? 'key'}-${i}`;
    const version = formatVersion({ wall: wall + i, logical: 0, writer: 'gw1' });
    if (i % 7 === 6) return makeTombstone(key, version);
    const text = randomBytes(Math.max(1, (options.valueBytes ?? 64) >> 1)).toString('hex');
    const value = Buffer.from(`{"n":${i},"text":"${text}"}`);
    return makeRecord({ key, value, contentType: 'application/json', version, tombstone: false });
  });
}

export async function* asAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  for (const item of items) yield item;
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
