import { Agent, request } from 'undici';
import { RedoubtError } from '@redoubt/errors';
import type {
  OrchestratorDriver,
  RuntimeAction,
  RuntimeEvent,
  RuntimeState,
  RuntimeStatus,
} from './orchestrator-driver.js';

export interface SupervisorDriverOptions {
  /** The control API of `npm start`, e.g. http://127.0.0.1:7090 (stack.json: supervisor.control). */
  url: string;
  adminKey: string;
  /** How often the process list is read for the event source. Default 200. */
  pollIntervalMs?: number;
  /** Status requests. Default 1000. */
  timeoutMs?: number;
  /** Actions: start and restart answer once the process is ready. Default 60000. */
  actionTimeoutMs?: number;
}

/** A process as the control API lists it (libs/local-stack ProcessStatus, the fields used here). */
interface SupervisedStatus {
  name: string;
  pid: number | null;
  state: string;
  startedAt?: string | null;
}

const STATES: Record<string, RuntimeState> = {
  running: 'running',
  paused: 'paused',
  starting: 'starting',
  backoff: 'restarting',
  stopping: 'stopped',
  stopped: 'stopped',
  failed: 'stopped',
};

const ACTIONS: Record<RuntimeAction, string | undefined> = {
  start: 'start',
  restart: 'restart',
  unpause: 'resume',
  reconnect: undefined,
};

/**
 * ORCHESTRATOR=local: the supervisor of `npm start` through its control API (admin key):
 * `GET /v1/processes`, `POST /v1/processes/:name/start|restart|resume`. Its process list, read every
 * `pollIntervalMs`, is the event source: a process that leaves `running` (killed, stopped, paused, crashed
 * and backing off) or whose pid changed is reported at once, before the probes would notice.
 */
export class SupervisorDriver implements OrchestratorDriver {
  readonly kind = 'local' as const;
  private readonly agent = new Agent({ connections: 4, keepAliveTimeout: 10_000 });
  private readonly listeners = new Set<(event: RuntimeEvent) => void>();
  private timer: NodeJS.Timeout | undefined;
  private last = new Map<string, SupervisedStatus>();
  private polling = false;

  constructor(private readonly options: SupervisorDriverOptions) {}

  async list(): Promise<RuntimeStatus[]> {
    const body = (await this.call('GET', '/v1/processes', this.options.timeoutMs ?? 1_000)) as {
      processes: SupervisedStatus[];
    };
    return body.processes.map(toRuntime);
  }

  async status(name: string): Promise<RuntimeStatus> {
    try {
      const body = (await this.call(
        'GET',
        `/v1/processes/${encodeURIComponent(name)}`,
        this.options.timeoutMs ?? 1_000,
      )) as SupervisedStatus;
      return toRuntime(body);
    } catch (error) {
      if (error instanceof RedoubtError && error.code === 'ORCHESTRATOR_TARGET_NOT_FOUND')
        return {
          name,
          state: 'missing',
          detail: 'no such process',
          disconnected: [],
          pid: null,
          startedAt: null,
        };
      throw error;
    }
  }

  async perform(name: string, action: RuntimeAction): Promise<void> {
    const verb = ACTIONS[action];
    if (!verb)
      throw new RedoubtError(
        'ORCHESTRATOR_ACTION_FAILED',
        `the local supervisor cannot ${action} a process`,
        { action },
      );
    await this.call(
      'POST',
      `/v1/processes/${encodeURIComponent(name)}/${verb}`,
      this.options.actionTimeoutMs ?? 60_000,
    );
  }

  watch(listener: (event: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    if (!this.timer) this.schedule();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.agent.close().catch(() => undefined);
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.poll().finally(() => {
        if (this.listeners.size > 0) this.schedule();
      });
    }, this.options.pollIntervalMs ?? 200);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const body = (await this.call('GET', '/v1/processes', this.options.timeoutMs ?? 1_000)) as {
        processes: SupervisedStatus[];
      };
      const at = Date.now();
      const next = new Map(body.processes.map((p) => [p.name, p]));
      for (const [name, now] of next) {
        const before = this.last.get(name);
        if (!before) continue;
        const event = changeOf(before, now, at);
        if (event) this.emit(event);
      }
      this.last = next;
    } catch {
      // The supervisor did not answer: the probes still see the services.
    } finally {
      this.polling = false;
    }
  }

  private emit(event: RuntimeEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // a listener's failure must not stop the event source
      }
    }
  }

  private async call(method: 'GET' | 'POST', path: string, timeoutMs: number): Promise<unknown> {
    let response;
    try {
      response = await request(`${this.options.url}${path}`, {
        method,
        dispatcher: this.agent,
        headers: { 'x-redoubt-admin-key': this.options.adminKey },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new RedoubtError(
        'ORCHESTRATOR_UNAVAILABLE',
        `the supervisor at ${this.options.url} did not answer ${method} ${path}: ${(error as Error).message}`,
        {},
        { cause: error },
      );
    }
    const text = await response.body.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { raw: text };
    }
    if (response.statusCode === 200) return body;
    const error = (body as { error?: { code?: string; message?: string } }).error;
    const message =
      `${method} ${path}: HTTP ${response.statusCode} ${error?.code ?? ''} ${error?.message ?? ''}`.trim();
    if (response.statusCode === 404 && error?.code === 'NODE_NOT_FOUND')
      throw new RedoubtError('ORCHESTRATOR_TARGET_NOT_FOUND', message, { status: response.statusCode });
    throw new RedoubtError('ORCHESTRATOR_ACTION_FAILED', message, {
      status: response.statusCode,
      code: error?.code ?? null,
    });
  }
}

/** `running` without a pid: the process has exited and the supervisor has not handled the exit yet. */
function effectiveState(p: SupervisedStatus): RuntimeState {
  const state = STATES[p.state] ?? 'unknown';
  return state === 'running' && p.pid === null ? 'stopped' : state;
}

function toRuntime(p: SupervisedStatus): RuntimeStatus {
  const startedAt = p.startedAt ? Date.parse(p.startedAt) : NaN;
  return {
    name: p.name,
    state: STATES[p.state] ?? 'unknown',
    detail: p.state,
    disconnected: [],
    pid: p.pid,
    startedAt: Number.isFinite(startedAt) ? startedAt : null,
  };
}

/** What changed between two readings of one process, as an event (undefined: nothing worth reporting). */
export function changeOf(
  before: SupervisedStatus,
  now: SupervisedStatus,
  at: number,
): RuntimeEvent | undefined {
  const was = effectiveState(before);
  const is = effectiveState(now);
  if (is === 'paused' && was !== 'paused')
    return { name: now.name, kind: 'paused', at, detail: `process ${now.state}` };
  if (is !== 'running' && is !== 'paused' && (was === 'running' || was === 'paused'))
    return {
      name: now.name,
      kind: 'gone',
      at,
      detail: now.pid === null ? 'process exited' : `process ${now.state}`,
    };
  // Its process died (whatever state it was read in, e.g. still `starting`): gone.
  if (before.pid !== null && now.pid === null && is !== 'paused')
    return { name: now.name, kind: 'gone', at, detail: 'process exited' };
  // Crashed and restarted between two readings (a new pid): it was gone for a moment.
  if (before.pid !== null && now.pid !== null && before.pid !== now.pid)
    return {
      name: now.name,
      kind: 'gone',
      at,
      detail: `process restarted (pid ${before.pid} -> ${now.pid})`,
    };
  if (is === 'running' && was !== 'running')
    return { name: now.name, kind: 'back', at, detail: `process ${now.state}` };
  return undefined;
}
