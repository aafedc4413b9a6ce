import type { GatewayClient, ReadResult } from '../load/gateway-client.js';

export interface ReadBackOptions {
  client: GatewayClient;
  keys: readonly string[];
  concurrency?: number;
  /** Retry a key whose read failed until this deadline (the cluster has just been healed). */
  retryForMs?: number;
  signal?: AbortSignal;
}

/**
 * Reads every key once through the gateways (quorum reads: R + W > N, so a read sees every acknowledged
 * write), spreading keys over the gateways and retrying failed reads, with backoff, until a deadline.
 */
export async function readBack(options: ReadBackOptions): Promise<Map<string, ReadResult>> {
  const { client, keys } = options;
  const results = new Map<string, ReadResult>();
  const deadline = Date.now() + (options.retryForMs ?? 30_000);
  let pending = [...keys];
  for (let round = 0; pending.length > 0 && !options.signal?.aborted; round += 1) {
    let next = 0;
    const failed: string[] = [];
    const worker = async (lane: number) => {
      while (next < pending.length) {
        const key = pending[next++]!;
        const result = await client.get(lane + round, key);
        results.set(key, result);
        if (result.status === 'error') failed.push(key);
      }
    };
    const lanes = Math.max(1, Math.min(options.concurrency ?? 32, pending.length));
    await Promise.all(Array.from({ length: lanes }, (_, lane) => worker(lane)));
    pending = failed;
    if (pending.length === 0 || Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 250 * 2 ** round)));
  }
  return results;
}
