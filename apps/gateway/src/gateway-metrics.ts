import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, LATENCY_BUCKETS, type Logger, type Registry } from '@redoubt/telemetry';

const METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'POST', 'PATCH', 'OPTIONS']);
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];

/** Every route label value there can be: a bounded set, whatever clients send. */
export function routeOf(url: string): string {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  // express matches paths case-insensitively; the label must not multiply by spelling
  if (path.slice(0, 6).toLowerCase() === '/v1/kv') return '/v1/kv/:key';
  switch (path) {
    case '/healthz':
    case '/readyz':
    case '/metrics':
    case '/v1/openapi.json':
    case '/admin/status':
      return path;
    default:
      return 'unmatched';
  }
}

/** The gateway's own series (breaker series come from @redoubt/circuit-breakers). */
export class GatewayMetrics {
  readonly requests: Histogram<'route' | 'method' | 'status_class'>;
  readonly quorumFailures: Counter<'operation'>;
  readonly unknownWrites: Counter;
  readonly handoffs: Counter<'outcome'>;
  readonly readRepairs: Counter<'result'>;
  readonly placementEpoch: Gauge;
  readonly conditional: Counter<'operation' | 'outcome'>;
  private readonly children = new Map<string, { observe(v: number): void }>();

  constructor(registry: Registry, handoffBacklog: () => number) {
    this.requests = new Histogram({
      name: 'redoubt_http_request_duration_seconds',
      help: 'Gateway HTTP requests by route template, method and status class (rate, errors, duration)',
      labelNames: ['route', 'method', 'status_class'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    this.quorumFailures = new Counter({
      name: 'redoubt_quorum_failures_total',
      help: 'Requests answered 503 because W acks (write) or R replies (read) were not reached',
      labelNames: ['operation'],
      registers: [registry],
    });
    this.unknownWrites = new Counter({
      name: 'redoubt_replica_write_unknown_total',
      help: 'Replica writes whose outcome is unknown (timed out): handed off, may or may not have landed',
      registers: [registry],
    });
    this.conditional = new Counter({
      name: 'redoubt_conditional_requests_total',
      help: 'Paxos rounds of conditional writes and serial reads by operation (write, read) and outcome (applied, read, precondition-failed, not-applied, unknown)',
      labelNames: ['operation', 'outcome'],
      registers: [registry],
    });
    this.handoffs = new Counter({
      name: 'redoubt_handoffs_total',
      help: 'Replication jobs (hinted handoff, read repair) by outcome: queued, failed (one attempt), dropped',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.readRepairs = new Counter({
      name: 'redoubt_read_repairs_total',
      help: 'Stale or missing replicas found by reads, by how they were repaired (written, handed-off)',
      labelNames: ['result'],
      registers: [registry],
    });
    this.placementEpoch = new Gauge({
      name: 'redoubt_placement_epoch',
      help: 'The placement epoch the gateway routes with',
      registers: [registry],
    });
    new Gauge({
      name: 'redoubt_handoff_backlog',
      help: 'Replication jobs buffered in the gateway, not yet on the queue (Redis slow or away)',
      registers: [registry],
      collect() {
        this.set(handoffBacklog());
      },
    });
    // zero series up front, so rates and alerts exist before the first failure
    for (const op of ['write', 'read']) this.quorumFailures.inc({ operation: op }, 0);
    for (const o of ['queued', 'failed', 'dropped']) this.handoffs.inc({ outcome: o }, 0);
    for (const r of ['written', 'handed-off']) this.readRepairs.inc({ result: r }, 0);
  }

  /**
   * Records one answered request (RED) and logs it when slow (the only per-request logging besides
   * errors). Label children are cached, so a request costs one map lookup and one observe.
   */
  observe(
    route: string,
    rawMethod: string,
    status: number,
    startedAt: number,
    requestId: string,
    logger: Logger,
    slowMs: number,
  ): void {
    const ms = performance.now() - startedAt;
    const method = METHODS.has(rawMethod) ? rawMethod : 'OTHER';
    const statusClass = STATUS_CLASSES[Math.floor(status / 100) - 1] ?? '5xx';
    const id = `${route} ${method} ${statusClass}`;
    let child = this.children.get(id);
    if (!child) {
      child = this.requests.labels(route, method, statusClass);
      this.children.set(id, child);
    }
    child.observe(ms / 1000);
    if (ms >= slowMs) {
      logger.warn(
        { requestId: requestId || randomUUID(), method, route, status, ms: Math.round(ms) },
        'slow request',
      );
    }
  }

  /** The same for express routes, as middleware. */
  middleware(logger: Logger, slowMs: number): RequestHandler {
    return (req, res, next) => {
      const started = performance.now();
      res.once('finish', () =>
        this.observe(routeOf(req.originalUrl), req.method, res.statusCode, started, req.id, logger, slowMs),
      );
      next();
    };
  }
}
