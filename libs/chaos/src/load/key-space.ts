import type { SeededRandom } from '../schedule/seeded-random.js';

/**
 * Keys and values of one run: every key is new unless a PUT overwrites (then it picks one of the run's
 * keys), and every value is unique in the run (it carries the write's sequence number), so a value read
 * back names exactly one write.
 */
export class KeySpace {
  private readonly keys: string[] = [];
  private writes = 0;

  constructor(
    private readonly runId: string,
    private readonly valueBytes: number,
    private readonly random: SeededRandom,
  ) {}

  get size(): number {
    return this.keys.length;
  }

  newKey(): string {
    const key = `chaos/${this.runId}/k${this.keys.length + 1}`;
    this.keys.push(key);
    return key;
  }

  existingKey(): string | undefined {
    return this.keys.length === 0 ? undefined : this.random.pick(this.keys);
  }

  nextValue(key: string): string {
    this.writes += 1;
    const head = `${this.runId}|w${this.writes}|${key}|`;
    const pad = Math.max(0, this.valueBytes - head.length);
    let tail = '';
    while (tail.length < pad) tail += Math.floor(this.random.next() * 0x100000000).toString(36);
    return head + tail.slice(0, pad);
  }
}
