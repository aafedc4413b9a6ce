import { RegisterHistory } from '../verify/register-history.js';

export interface CasWorkloadOptions {
  /** Gateway base URLs; client i talks to gateway i mod n (so rounds race across gateways). */
  gateways: readonly string[];
  apiKey: string;
  /** Concurrent clients, each a closed loop of read-then-write. */
  clients: number;
  /** Keys shared by all clients: few keys, much contention. */
  keys: number;
  /** Prefix of the keys (a run id keeps runs apart). */
  keyPrefix: string;
  /** Per request; a write past it is `unknown` (it may or may not have happened). */
  timeoutMs: number;
  /** Ends the workload (requests in flight finish or time out). */
  signal: AbortSignal;
  /** Share of writes that are conditional deletes. Default 0.2. */
  deleteRatio?: number;
  random?: () => number;
}

/** Answers seen, by status and code (e.g. `412 PRECONDITION_FAILED`, `no answer`): for the report. */
export type CasAnswers = Record<string, number>;

/**
 * A compare-and-set workload for the linearizability checker: each client reads a key with
 * `x-redoubt-consistency: serial`, then writes over exactly what it read (`If-Match: "<etag>"`, or
 * `If-None-Match: *` when the key had no value), sometimes a conditional delete, with a value no one else
 * writes. Every call and answer goes into a RegisterHistory:
 *   201 / 204 -> ok; 412 -> failed (the condition did not hold: no effect)
 *   503 CONSENSUS_NOT_REACHED with outcome `not-applied` -> dropped (certainly nothing happened)
 *   any other answer, a timeout, a broken connection -> unknown (may or may not have happened)
 * A read that gets no 200/404 observed nothing and is dropped.
 */
export async function runCasWorkload(
  options: CasWorkloadOptions,
): Promise<{ history: RegisterHistory; answers: CasAnswers }> {
  const history = new RegisterHistory();
  const answers: CasAnswers = {};
  const random = options.random ?? Math.random;
  const deleteRatio = options.deleteRatio ?? 0.2;
  const keys = Array.from({ length: options.keys }, (_, i) => `${options.keyPrefix}k${i}`);
  const tally = (what: string) => (answers[what] = (answers[what] ?? 0) + 1);

  const call = (gateway: string, key: string, init: RequestInit & { headers: Record<string, string> }) =>
    fetch(`${gateway}/v1/kv/${encodeURIComponent(key)}`, {
      ...init,
      headers: { authorization: `Bearer ${options.apiKey}`, ...init.headers },
      signal: AbortSignal.timeout(options.timeoutMs),
    });

  const client = async (name: string, gateway: string) => {
    for (let n = 0; !options.signal.aborted; n++) {
      const key = keys[Math.floor(random() * keys.length)]!;
      const read = history.invoke(name, key, { kind: 'read' });
      let current: { value: string; etag: string } | null;
      try {
        const res = await call(gateway, key, { headers: { 'x-redoubt-consistency': 'serial' } });
        const text = await res.text();
        if (res.status !== 200 && res.status !== 404) {
          read.failed();
          continue;
        }
        current = res.status === 200 ? { value: text, etag: res.headers.get('etag') ?? '' } : null;
        read.ok({ kind: 'read', value: current?.value ?? null });
      } catch {
        read.failed();
        continue;
      }

      const value = `${name}-${n}`;
      const remove = current !== null && random() < deleteRatio;
      const write = history.invoke(name, key, {
        kind: 'cas',
        expect: current ? { kind: 'value', value: current.value } : { kind: 'absent' },
        value: remove ? null : value,
      });
      const headers: Record<string, string> = current
        ? { 'if-match': current.etag }
        : { 'if-none-match': '*' };
      try {
        const res = await call(
          gateway,
          key,
          remove ? { method: 'DELETE', headers } : { method: 'PUT', body: value, headers },
        );
        const error = res.status >= 400 ? await errorOf(res) : (await res.body?.cancel(), null);
        tally(
          error
            ? `${res.status} ${error.code}${error.outcome ? ` ${error.outcome}` : ''}`
            : String(res.status),
        );
        if (res.status === 201 || res.status === 204) write.ok({ kind: 'ok' });
        else if (res.status === 412) write.ok({ kind: 'failed' });
        else if (error?.code === 'CONSENSUS_NOT_REACHED' && error.outcome === 'not-applied') write.failed();
        else write.unknown();
      } catch {
        tally('no answer');
        write.unknown();
      }
    }
  };

  await Promise.all(
    Array.from({ length: options.clients }, (_, i) =>
      client(`c${i}`, options.gateways[i % options.gateways.length]!),
    ),
  );
  return { history, answers };
}

async function errorOf(res: Response): Promise<{ code: string; outcome?: string } | null> {
  try {
    const body = (await res.json()) as { error?: { code?: string; details?: { outcome?: string } } };
    return { code: body.error?.code ?? `HTTP_${res.status}`, outcome: body.error?.details?.outcome };
  } catch {
    return { code: `HTTP_${res.status}` };
  }
}
