/**
 * Feeds one async source to several consumers at once, each through its own bounded queue: the source is
 * read once (decrypted and decompressed once) however many replicas a partition has, and the slowest
 * consumer sets the pace (back-pressure), so memory stays at about `highWater` items per consumer. A
 * consumer that fails or returns early is dropped; the others carry on. A failing source fails every
 * consumer still reading.
 */
export async function fanOut<T, R>(
  source: AsyncIterable<T>,
  consumers: readonly ((items: AsyncIterable<T>) => Promise<R>)[],
  highWater = 512,
): Promise<PromiseSettledResult<R>[]> {
  interface Lane {
    queue: T[];
    done: boolean;
    error: unknown;
    closed: boolean;
    wakeConsumer: (() => void) | undefined;
  }
  const lanes: Lane[] = consumers.map(() => ({
    queue: [],
    done: false,
    error: undefined,
    closed: false,
    wakeConsumer: undefined,
  }));
  let wakeProducer: (() => void) | undefined;
  const nudgeProducer = () => {
    const wake = wakeProducer;
    wakeProducer = undefined;
    wake?.();
  };
  const nudge = (lane: Lane) => {
    const wake = lane.wakeConsumer;
    lane.wakeConsumer = undefined;
    wake?.();
  };

  const iterableOf = (lane: Lane): AsyncIterable<T> => ({
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          if (lane.queue.length > 0) {
            const batch = lane.queue;
            lane.queue = [];
            nudgeProducer();
            yield* batch;
            continue;
          }
          if (lane.error !== undefined) throw lane.error;
          if (lane.done) return;
          await new Promise<void>((resolve) => (lane.wakeConsumer = resolve));
        }
      } finally {
        lane.closed = true;
        lane.queue = [];
        nudgeProducer();
      }
    },
  });

  const running = consumers.map((consume, i) =>
    consume(iterableOf(lanes[i]!)).finally(() => {
      lanes[i]!.closed = true;
      lanes[i]!.queue = [];
      nudgeProducer();
    }),
  );

  // Observed from the start, so a consumer that fails early is not an unhandled rejection meanwhile.
  const settled = Promise.allSettled(running);

  const produce = async () => {
    try {
      for await (const item of source) {
        const open = lanes.filter((l) => !l.closed);
        if (open.length === 0) return;
        for (const lane of open) {
          lane.queue.push(item);
          nudge(lane);
        }
        while (lanes.some((l) => !l.closed && l.queue.length >= highWater)) {
          await new Promise<void>((resolve) => (wakeProducer = resolve));
        }
      }
      for (const lane of lanes) {
        lane.done = true;
        nudge(lane);
      }
    } catch (error) {
      for (const lane of lanes) {
        lane.error = error ?? new Error('source failed');
        nudge(lane);
      }
    }
  };
  await produce();
  return settled;
}
