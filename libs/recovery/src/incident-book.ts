import type { EventLog, RecoveryAction, RecoveryEvent } from '@redoubt/membership';
import type { Logger } from '@redoubt/telemetry';

const MAX_ACTIONS = 30;
const MAX_RECENT = 200;

/**
 * The monitor's incidents: open ones by service (actions continue while open), those waiting for their
 * moves to finish (by epoch), and the recent ones for the status API. Every change is saved to the shared
 * event log when this monitor leads; saves that fail (Redis away) are retried until they succeed.
 */
export class IncidentBook {
  private readonly open = new Map<string, RecoveryEvent>();
  private readonly awaiting = new Map<string, { event: RecoveryEvent; epoch: number }>();
  private readonly recentEvents: RecoveryEvent[] = [];
  private readonly dirty = new Map<string, RecoveryEvent>();

  constructor(
    private readonly log: EventLog,
    private readonly monitorId: string,
    private readonly logger: Logger,
  ) {}

  openFor(target: string): RecoveryEvent | undefined {
    return this.open.get(target);
  }

  openIncidents(): RecoveryEvent[] {
    return [...this.open.values()];
  }

  awaitingEvents(): { event: RecoveryEvent; epoch: number }[] {
    return [...this.awaiting.values()];
  }

  /** Opens (or returns the open) incident of a service. */
  openIncident(fields: {
    target: string;
    kind: string;
    fault: string;
    cause: string;
    detectedAt: number;
    lastOkAt: number | null;
  }): {
    event: RecoveryEvent;
    created: boolean;
  } {
    const existing = this.open.get(fields.target);
    if (existing) return { event: existing, created: false };
    const event: RecoveryEvent = {
      id: `${fields.target}-${fields.detectedAt}`,
      target: fields.target,
      kind: fields.kind,
      fault: fields.fault,
      cause: fields.cause,
      lastOkAt: fields.lastOkAt,
      detectedAt: fields.detectedAt,
      recoveredAt: null,
      timeToDetectMs: fields.lastOkAt === null ? null : Math.max(0, fields.detectedAt - fields.lastOkAt),
      timeToRecoverMs: null,
      status: 'open',
      actions: [],
      epochs: [],
      monitor: this.monitorId,
    };
    this.open.set(fields.target, event);
    this.remember(event);
    this.touch(event);
    return { event, created: true };
  }

  /** A record of something done (or not) about an event. */
  act(event: RecoveryEvent, action: Omit<RecoveryAction, 'by' | 'at'> & { at?: number }): void {
    event.actions.push({
      at: action.at ?? Date.now(),
      by: this.monitorId,
      action: action.action,
      result: action.result,
      ...(action.detail ? { detail: action.detail } : {}),
    });
    if (event.actions.length > MAX_ACTIONS) event.actions.splice(0, event.actions.length - MAX_ACTIONS);
    this.touch(event);
  }

  /** The service answers again: the incident is over (time to recover from the last good probe). */
  recovered(target: string, at: number): RecoveryEvent | undefined {
    const event = this.open.get(target);
    if (!event) return undefined;
    this.open.delete(target);
    if (event.status === 'replaced') {
      // Its data was re-placed; the incident ends when the moves are done, not when the node returns.
      this.act(event, { action: 'returned', result: 'ok', detail: `${target} answers again`, at });
      return undefined;
    }
    this.finish(event, at, 'recovered');
    return event;
  }

  /** A placement change was made for the event: it completes when the moves of `epoch` are done. */
  awaitEpoch(event: RecoveryEvent, epoch: number, status: RecoveryEvent['status']): void {
    event.status = status;
    this.awaiting.set(event.id, { event, epoch });
    this.remember(event);
    this.touch(event);
  }

  /** Events whose moves are all done (no move of their epoch or an older one pending or failed). */
  settle(done: (epoch: number) => boolean, at: number): RecoveryEvent[] {
    const finished: RecoveryEvent[] = [];
    for (const [id, { event, epoch }] of this.awaiting) {
      if (!done(epoch)) continue;
      this.awaiting.delete(id);
      const faulty = event.fault === 'down' || event.fault === 'dead';
      this.finish(event, at, faulty ? 'recovered' : 'closed');
      finished.push(event);
    }
    return finished;
  }

  /** Closes an open incident without recovery (the service was removed from the cluster). */
  drop(target: string, reason: string): void {
    const event = this.open.get(target);
    if (!event) return;
    this.open.delete(target);
    this.act(event, { action: 'forget', result: 'ok', detail: reason });
    if (!this.awaiting.has(event.id)) {
      event.status = 'closed';
      this.touch(event);
    }
  }

  /** A new event that is not a fault (an operator change, a rebalance back). */
  record(fields: { target: string; kind: string; fault: string; cause: string; at: number }): RecoveryEvent {
    const event: RecoveryEvent = {
      id: `${fields.target}-${fields.fault}-${fields.at}`,
      target: fields.target,
      kind: fields.kind,
      fault: fields.fault,
      cause: fields.cause,
      lastOkAt: null,
      detectedAt: fields.at,
      recoveredAt: null,
      timeToDetectMs: null,
      timeToRecoverMs: null,
      status: 'open',
      actions: [],
      epochs: [],
      monitor: this.monitorId,
    };
    this.remember(event);
    this.touch(event);
    return event;
  }

  recent(limit: number): RecoveryEvent[] {
    return this.recentEvents.slice(0, limit);
  }

  /** Marks every known event for saving (a monitor that just became leader publishes what it saw). */
  touchAll(): void {
    for (const event of this.recentEvents) this.dirty.set(event.id, event);
  }

  /** Saves changed events to the shared log; keeps the ones that could not be saved for the next call. */
  async flush(): Promise<void> {
    for (const [id, event] of [...this.dirty]) {
      try {
        await this.log.save(event);
        if (this.dirty.get(id) === event) this.dirty.delete(id);
      } catch (error) {
        this.logger.debug({ err: error }, 'could not save a recovery event yet');
        return;
      }
    }
  }

  touch(event: RecoveryEvent): void {
    this.dirty.set(event.id, event);
  }

  private finish(event: RecoveryEvent, at: number, status: RecoveryEvent['status']): void {
    event.recoveredAt = at;
    const from = event.lastOkAt ?? event.detectedAt;
    event.timeToRecoverMs = Math.max(0, at - from);
    event.status = status;
    this.touch(event);
  }

  private remember(event: RecoveryEvent): void {
    const index = this.recentEvents.indexOf(event);
    if (index >= 0) return;
    this.recentEvents.unshift(event);
    if (this.recentEvents.length > MAX_RECENT) this.recentEvents.length = MAX_RECENT;
  }
}
