/**
 * Sends one message to every replica and settles as soon as the outcome is known: `needed` replies that
 * count, or so many refusals and failures that `needed` can no longer be reached. Calls still in flight
 * keep running (their answers are ignored); `pending` says how many there were, because an accept still
 * in flight may yet land.
 */
export interface Gathered<R> {
  ok: { replica: string; reply: R }[];
  refused: R[];
  failed: number;
  pending: number;
}

export function gather<R>(
  replicas: readonly string[],
  call: (replica: string) => Promise<R>,
  counts: (reply: R) => boolean,
  needed: number,
): Promise<Gathered<R>> {
  return new Promise((resolve) => {
    const result: Gathered<R> = { ok: [], refused: [], failed: 0, pending: replicas.length };
    let done = false;
    const settle = () => {
      if (done) return;
      if (result.ok.length >= needed || result.ok.length + result.pending < needed || result.pending === 0) {
        done = true;
        resolve({ ...result, ok: [...result.ok], refused: [...result.refused] });
      }
    };
    for (const replica of replicas) {
      call(replica).then(
        (reply) => {
          result.pending--;
          if (counts(reply)) result.ok.push({ replica, reply });
          else result.refused.push(reply);
          settle();
        },
        () => {
          result.pending--;
          result.failed++;
          settle();
        },
      );
    }
    if (replicas.length === 0) settle();
  });
}

/** A majority of `n`: any two majorities share a replica, which is what makes a round safe. */
export function majorityOf(n: number): number {
  return Math.floor(n / 2) + 1;
}
