import { Pool, type Dispatcher } from 'undici';

export interface LoadRequest {
  method: 'GET' | 'PUT' | 'POST';
  path: string;
  body?: Buffer | string;
  headers?: Record<string, string>;
}

export interface CellResult {
  concurrency: number;
  durationSeconds: number;
  requests: number;
  errors: number;
  /** Successful requests per second. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  firstError?: string;
  /** CPU microseconds per successful request, per process group (and the load driver itself). */
  cpuMicrosPerRequest?: Record<string, number>;
  /** redoubt only: record ops per internal batch request to the data nodes. */
  opsPerBatch?: number;
}

/**
 * A closed-loop load driver: `concurrency` workers, each sending its next request as soon as the previous
 * one answered, for `durationMs`, over one keep-alive undici pool with one connection per worker. Closed
 * loop means the offered load adapts to the server: latencies are honest (no coordinated omission from a
 * queue in front of a saturated server, since nothing queues beyond `concurrency` requests).
 */
export async function runClosedLoop(
  origin: string | readonly string[],
  concurrency: number,
  durationMs: number,
  next: (worker: number, i: number) => LoadRequest,
  accept: (status: number) => boolean = (status) => status >= 200 && status < 300,
): Promise<CellResult> {
  // several origins: worker w uses origin w mod n (a client spreading its connections over gateways)
  const origins = typeof origin === 'string' ? [origin] : origin;
  const pools = origins.map(
    (o, i) =>
      new Pool(o, {
        connections: Math.ceil((concurrency - i) / origins.length),
        pipelining: 1,
        keepAliveTimeout: 30_000,
      }),
  );
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const end = started + durationMs;
  const worker = async (w: number) => {
    for (let i = 0; performance.now() < end; i++) {
      const request = next(w, i);
      const t0 = performance.now();
      try {
        const status = await send(pools[w % pools.length]!, request);
        if (accept(status)) latencies.push(performance.now() - t0);
        else {
          errors += 1;
          firstError ??= `HTTP ${status}`;
        }
      } catch (error) {
        errors += 1;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(pools.map((p) => p.close()));
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! : NaN;
  return {
    concurrency,
    durationSeconds: seconds,
    requests: latencies.length,
    errors,
    rps: latencies.length / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: latencies.length ? latencies[latencies.length - 1]! : NaN,
    ...(firstError ? { firstError } : {}),
  };
}

/**
 * One request through undici's lowest-level API: the status is kept, headers stay raw buffers and the body
 * is discarded as it arrives. The driver shares the machine with what it measures, so every microsecond
 * it does not spend parsing headers into objects or wrapping bodies in streams goes to the servers.
 */
function send(pool: Pool, request: LoadRequest): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let status = 0;
    pool.dispatch(
      {
        method: request.method,
        path: request.path,
        body: request.body,
        headers: request.headers,
      } as Dispatcher.DispatchOptions,
      {
        onConnect: () => undefined,
        onHeaders: (statusCode: number) => {
          status = statusCode;
          return true;
        },
        onData: () => true,
        onComplete: () => resolve(status),
        onError: (error: Error) => reject(error),
      } as Dispatcher.DispatchHandler,
    );
  });
}

/** Runs `count` requests with bounded concurrency (to load data before a read benchmark). */
export async function populate(
  origin: string,
  count: number,
  concurrency: number,
  make: (i: number) => LoadRequest,
): Promise<number> {
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1 });
  let nextIndex = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (nextIndex < count) {
        const r = make(nextIndex++);
        try {
          const res = await pool.request({
            method: r.method,
            path: r.path,
            body: r.body,
            headers: r.headers,
          } as Dispatcher.RequestOptions);
          await res.body.dump();
          if (res.statusCode >= 300) failed += 1;
        } catch {
          failed += 1;
        }
      }
    }),
  );
  await pool.close();
  return failed;
}
