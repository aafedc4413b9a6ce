import type Docker from 'dockerode';
import { RedoubtError, type ErrorCode } from '@redoubt/errors';
import type { RuntimeEvent } from './orchestrator-driver.js';

/** One event of the Docker Engine's stream (GET /events), the fields the drivers read. */
export interface EngineEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/**
 * The Docker Engine's event stream for the Docker and Swarm drivers: opened from now on with `filters`,
 * split into JSON lines, and opened again a second after it ends or fails (the engine restarted, the
 * socket dropped) until closed. `beforeOpen` runs before each opening (the Docker driver learns its
 * containers' networks there, so nothing cut off meanwhile goes unnoticed).
 */
export class EngineEventStream {
  private stream: (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
  private reopenTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private opening: Promise<void> | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly filters: Record<string, string[]>,
    private readonly onEvent: (event: EngineEvent) => void,
    private readonly beforeOpen: () => Promise<void> = async () => undefined,
  ) {}

  /** Opens the stream once; resolves when it is open (or failed, and a reopening is scheduled). */
  open(): Promise<void> {
    this.opening ??= this.connect();
    return this.opening;
  }

  close(): void {
    this.closed = true;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.stream?.destroy?.();
    this.stream = undefined;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    try {
      await this.beforeOpen().catch(() => undefined);
      const stream = (await this.docker.getEvents({
        since: Math.floor(Date.now() / 1000),
        filters: this.filters,
      })) as NodeJS.ReadableStream & { destroy?: () => void };
      this.stream = stream;
      let pending = '';
      stream.on('data', (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          if (line) this.parse(line);
        }
      });
      const reopen = () => {
        if (this.stream !== stream) return;
        this.stream = undefined;
        this.scheduleReopen();
      };
      stream.on('end', reopen);
      stream.on('error', reopen);
      stream.on('close', reopen);
    } catch {
      this.scheduleReopen();
    }
  }

  private parse(line: string): void {
    let event: EngineEvent;
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    this.onEvent(event);
  }

  private scheduleReopen(): void {
    if (this.closed || this.reopenTimer) return;
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      this.opening = this.connect();
    }, 1_000);
  }
}

/** An engine timestamp (RFC 3339) as epoch ms; the zero time (`0001-01-01T00:00:00Z`: never) as null. */
export function engineTime(value: string | undefined): number | null {
  const ms = value ? Date.parse(value) : NaN;
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

/** Hands an event to every listener; a listener's failure must not stop the event source. */
export function emitToListeners(listeners: Set<(event: RuntimeEvent) => void>, event: RuntimeEvent): void {
  for (const listener of [...listeners]) {
    try {
      listener(event);
    } catch {
      // a listener's failure must not stop the event source
    }
  }
}

/**
 * One call to the engine with its failures typed: 304 (already in the wanted state: started, paused...) is
 * nothing to do; no status at all is an engine that does not answer; `notFound` is the kind of a 404 (the
 * swarm driver names a missing service as such); any other status is a failed action.
 */
export async function callEngine<T>(
  driver: string,
  what: string,
  fn: () => Promise<T>,
  notFound: ErrorCode = 'ORCHESTRATOR_ACTION_FAILED',
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 304) return undefined as T;
    throw new RedoubtError(
      status === 404
        ? notFound
        : status === undefined
          ? 'ORCHESTRATOR_UNAVAILABLE'
          : 'ORCHESTRATOR_ACTION_FAILED',
      `${driver}: could not ${what}: ${(error as Error).message}`,
      { status: status ?? null },
      { cause: error },
    );
  }
}
