import type { WriteHistory } from '../history/write-history.js';
import type { LoadTimeline } from '../measure/load-timeline.js';
import type { LoadProfile } from '../scenario/scenario-schema.js';
import type { SeededRandom } from '../schedule/seeded-random.js';
import type { GatewayClient } from './gateway-client.js';
import { KeySpace } from './key-space.js';

export interface LoadRunSummary {
  engine: 'builtin' | 'k6';
  startedAt: number;
  endedAt: number;
  arrivals: number;
  dropped: number;
  puts: number;
  gets: number;
  /** Anything the engine wants the report to show (k6: its handleSummary JSON). */
  notes: string[];
}

export interface BuiltinLoadOptions {
  profile: LoadProfile;
  client: GatewayClient;
  history: WriteHistory;
  timeline: LoadTimeline;
  runId: string;
  random: SeededRandom;
  /** Stops the arrivals early (abort); in-flight requests still finish within their timeout. */
  signal?: AbortSignal;
}

const TICK_MS = 5;

/**
 * The open-model load driver for where k6 is absent: arrivals at a constant rate whatever the service's
 * speed (a slow service does not slow the arrivals, it piles up in-flight requests), up to `maxInFlight`
 * beyond which arrivals are dropped and counted; PUT/GET mix; unique keys and values; every PUT recorded
 * in the history. Bounded: arrivals stop after `duration`, and the last requests end within `timeout`.
 */
export async function runBuiltinLoad(options: BuiltinLoadOptions): Promise<LoadRunSummary> {
  const { profile, client, history, timeline, random } = options;
  const keys = new KeySpace(options.runId, profile.valueBytes, random.fork('keys'));
  const startedAt = Date.now();
  const inFlight = new Set<Promise<void>>();
  let arrivals = 0;
  let dropped = 0;
  let puts = 0;
  let gets = 0;
  let nextGateway = 0;

  const issue = () => {
    const gateway = nextGateway++ % client.size;
    const isPut = keys.size === 0 || random.next() < profile.putRatio;
    const started = Date.now();
    let task: Promise<void>;
    if (isPut) {
      puts += 1;
      const overwrite = keys.size > 0 && random.next() < profile.overwriteRatio;
      const key = overwrite ? keys.existingKey()! : keys.newKey();
      const value = keys.nextValue(key);
      const id = history.invoke(key, value, client.url(gateway), started);
      task = client.put(gateway, key, value).then((outcome) => {
        const done = Date.now();
        history.complete(id, outcome, done);
        timeline.record('put', done, done - started, outcome.status === 'ok');
      });
    } else {
      gets += 1;
      const key = keys.existingKey()!;
      task = client.get(gateway, key).then((result) => {
        const done = Date.now();
        timeline.record('get', done, done - started, result.status !== 'error');
      });
    }
    const tracked = task.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  const intervalMs = 1000 / profile.rate;
  const endAt = startedAt + profile.duration;
  while (!options.signal?.aborted) {
    const now = Date.now();
    if (now >= endAt) break;
    const due = Math.floor((now - startedAt) / intervalMs) + 1;
    while (arrivals < due) {
      arrivals += 1;
      if (inFlight.size >= profile.maxInFlight) {
        dropped += 1;
        timeline.recordDropped(now);
      } else issue();
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  // Every request carries its own timeout, so this wait is bounded by it.
  await Promise.allSettled([...inFlight]);
  return {
    engine: 'builtin',
    startedAt,
    endedAt: Date.now(),
    arrivals,
    dropped,
    puts,
    gets,
    notes: [],
  };
}
