import { describe, expect, it } from 'vitest';
import { fanOut } from './fan-out.js';
import { collect } from './testing/records.js';

async function* numbers(n: number, failAt?: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) {
    if (i === failAt) throw new Error('source broke');
    yield i;
  }
}

describe('fanOut', () => {
  it('gives every consumer every item in order, reading the source once', async () => {
    let reads = 0;
    const source = (async function* () {
      for await (const n of numbers(5_000)) {
        reads++;
        yield n;
      }
    })();
    const results = await fanOut(source, [collect, collect, collect], 64);
    expect(reads).toBe(5_000);
    for (const r of results)
      expect(r).toEqual({ status: 'fulfilled', value: Array.from({ length: 5_000 }, (_, i) => i) });
  });

  it('keeps the others going when one consumer fails, and bounds what waits for a slow one', async () => {
    let maxAhead = 0;
    let produced = 0;
    let consumedSlow = 0;
    const source = (async function* () {
      for await (const n of numbers(2_000)) {
        produced++;
        maxAhead = Math.max(maxAhead, produced - consumedSlow);
        yield n;
      }
    })();
    const failing = async (items: AsyncIterable<number>) => {
      for await (const n of items) if (n === 10) throw new Error('replica down');
      return [];
    };
    const slow = async (items: AsyncIterable<number>) => {
      const out: number[] = [];
      for await (const n of items) {
        consumedSlow++;
        out.push(n);
        if (n % 100 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      return out;
    };
    const [a, b] = await fanOut(source, [failing, slow], 32);
    expect(a.status).toBe('rejected');
    expect(b).toMatchObject({ status: 'fulfilled' });
    expect((b as PromiseFulfilledResult<number[]>).value).toHaveLength(2_000);
    expect(maxAhead).toBeLessThanOrEqual(32 * 2 + 1);
  });

  it('fails every consumer when the source fails', async () => {
    const results = await fanOut(numbers(100, 50), [collect, collect]);
    for (const r of results)
      expect(r).toMatchObject({ status: 'rejected', reason: { message: 'source broke' } });
  });
});
