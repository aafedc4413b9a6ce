import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { RedoubtError } from '@redoubt/errors';
import {
  callEngine,
  emitToListeners,
  engineTime,
  EngineEventStream,
  type EngineEvent,
} from './engine-events.js';
import type {
  OrchestratorDriver,
  RuntimeAction,
  RuntimeEvent,
  RuntimeState,
  RuntimeStatus,
} from './orchestrator-driver.js';

export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';

export interface DockerDriverOptions {
  /** Default /var/run/docker.sock. */
  socketPath?: string;
  /** The compose project (COMPOSE_PROJECT); services are found by their compose labels within it. */
  project?: string;
  /** Seconds `docker restart` waits for a clean stop. Default 5. */
  restartGraceSeconds?: number;
  /** A client to use instead of one on `socketPath` (tests). */
  docker?: Docker;
}

const STATES: Record<string, RuntimeState> = {
  running: 'running',
  paused: 'paused',
  restarting: 'restarting',
  created: 'stopped',
  exited: 'stopped',
  dead: 'stopped',
  removing: 'stopped',
};

const GONE_EVENTS = new Set(['die', 'kill', 'stop', 'oom', 'destroy']);
const UNPAUSE_ATTEMPTS = 4;

/**
 * ORCHESTRATOR=docker: the Docker Engine API over its socket (dockerode). A service is the containers
 * labelled `com.docker.compose.service=<name>` (and `com.docker.compose.project=<project>` when a project
 * is given), so it works for `docker compose` v1 and v2 alike.
 *
 * - start: a container that was killed or stopped (`docker kill`/`docker stop` disable the restart
 *   policy, so nobody else brings it back)
 * - unpause: a paused container
 * - restart: a running container whose health stays bad
 * - reconnect: a running container cut off a network it was on (`docker network disconnect`); it is
 *   connected again with its service name as alias, so the others find it by name
 *
 * The networks a container should be on are the ones it was first seen on; a container found with no
 * network at all is expected on the project's `<project>_default` network (or every project network).
 * The event source is the Engine's event stream (die, kill, stop, pause, network disconnect...).
 */
export class DockerDriver implements OrchestratorDriver {
  readonly kind = 'docker' as const;
  private readonly docker: Docker;
  /** container id -> network names it should be on. */
  private readonly expectedNetworks = new Map<string, Set<string>>();
  /** container id -> service name, for events that carry only an id. */
  private readonly serviceOf = new Map<string, string>();
  private readonly listeners = new Set<(event: RuntimeEvent) => void>();
  private events: EngineEventStream | undefined;

  constructor(private readonly options: DockerDriverOptions = {}) {
    this.docker = options.docker ?? new Docker({ socketPath: options.socketPath ?? '/var/run/docker.sock' });
  }

  /** The containers of a compose service, oldest first. */
  async containers(name: string): Promise<Docker.ContainerInfo[]> {
    const labels = [`${COMPOSE_SERVICE_LABEL}=${name}`];
    if (this.options.project) labels.push(`${COMPOSE_PROJECT_LABEL}=${this.options.project}`);
    const found = await this.engine('list containers', () =>
      this.docker.listContainers({ all: true, filters: { label: labels } }),
    );
    for (const c of found) this.serviceOf.set(c.Id, name);
    return found.sort((a, b) => a.Created - b.Created);
  }

  async status(name: string): Promise<RuntimeStatus> {
    const containers = await this.containers(name);
    if (containers.length === 0)
      return { name, state: 'missing', detail: 'no container', disconnected: [], pid: null, startedAt: null };
    // Several replicas of one service: report the worst one (that is the one recovery must act on).
    let worst: RuntimeStatus | undefined;
    for (const info of containers) {
      const status = await this.inspect(name, info.Id);
      if (!worst || rank(status) > rank(worst)) worst = status;
    }
    return worst!;
  }

  async perform(name: string, action: RuntimeAction): Promise<void> {
    const containers = await this.containers(name);
    if (containers.length === 0)
      throw new RedoubtError('ORCHESTRATOR_TARGET_NOT_FOUND', `no container of compose service ${name}`, {
        name,
      });
    for (const info of containers) {
      const container = this.docker.getContainer(info.Id);
      const status = await this.inspect(name, info.Id);
      switch (action) {
        case 'start':
          if (status.state === 'stopped') await this.engine(`start ${name}`, () => container.start());
          break;
        case 'unpause':
          if (status.state === 'paused') await this.unpause(name, container);
          break;
        case 'restart':
          if (status.state === 'paused') await this.unpause(name, container);
          await this.engine(`restart ${name}`, () =>
            container.restart({ t: this.options.restartGraceSeconds ?? 5 }),
          );
          break;
        case 'reconnect':
          for (const network of status.disconnected) {
            await this.engine(`reconnect ${name} to ${network}`, () =>
              this.docker
                .getNetwork(network)
                .connect({ Container: info.Id, EndpointConfig: { Aliases: [name] } }),
            );
          }
          break;
      }
    }
  }

  watch(listener: (event: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    this.events ??= new EngineEventStream(
      this.docker,
      { type: ['container', 'network'] },
      (event) => this.onEngineEvent(event),
      () => this.prime(),
    );
    void this.events.open();
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Resolves once the event stream is open (after `watch`), for callers that must not miss an event. */
  async watching(): Promise<void> {
    await this.events?.open();
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.events?.close();
  }

  /**
   * Unpauses, then checks: once in CI the engine still reported the container paused right after its
   * unpause call had returned. A few more tries, each after a short wait, settle that.
   */
  private async unpause(name: string, container: Docker.Container): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await this.engine(`unpause ${name}`, () => container.unpause());
      const details = await this.engine(`inspect ${name}`, () => container.inspect());
      if (!details.State.Paused || attempt === UNPAUSE_ATTEMPTS) return;
      await sleep(50 * attempt);
    }
  }

  private async inspect(name: string, id: string): Promise<RuntimeStatus> {
    const details = await this.engine(`inspect ${name}`, () => this.docker.getContainer(id).inspect());
    const attached = new Set(
      Object.keys(details.NetworkSettings?.Networks ?? {}).filter((n) => n !== 'none'),
    );
    let expected = this.expectedNetworks.get(id);
    if (!expected && attached.size > 0) {
      expected = new Set(attached);
      this.expectedNetworks.set(id, expected);
    }
    const state = STATES[details.State.Status] ?? 'unknown';
    let disconnected: string[] = [];
    if (state === 'running') {
      const wanted = expected ?? (attached.size === 0 ? await this.projectNetworks() : new Set<string>());
      disconnected = [...wanted].filter((n) => !attached.has(n));
    }
    return {
      name,
      state,
      detail: details.State.Status + (details.State.OOMKilled ? ' (OOM killed)' : ''),
      disconnected,
      pid: details.State.Pid || null,
      startedAt: engineTime(details.State.StartedAt),
    };
  }

  private async projectNetworks(): Promise<Set<string>> {
    if (!this.options.project) return new Set();
    const networks = await this.engine('list networks', () =>
      this.docker.listNetworks({ filters: { label: [`${COMPOSE_PROJECT_LABEL}=${this.options.project}`] } }),
    );
    const names = networks.map((n) => n.Name);
    const fallback = `${this.options.project}_default`;
    return new Set(names.includes(fallback) ? [fallback] : names);
  }

  /**
   * Learns every container of the project and the networks it is on now, so that a container cut off
   * later is recognised (by the event stream and by status) even if it was never inspected before.
   */
  async prime(): Promise<void> {
    const filters = this.options.project
      ? { label: [`${COMPOSE_PROJECT_LABEL}=${this.options.project}`] }
      : { label: [COMPOSE_SERVICE_LABEL] };
    const all = await this.engine('list containers', () =>
      this.docker.listContainers({ all: true, filters }),
    );
    for (const info of all) {
      const service = info.Labels?.[COMPOSE_SERVICE_LABEL];
      if (service) this.serviceOf.set(info.Id, service);
      const networks = Object.keys(info.NetworkSettings?.Networks ?? {}).filter((n) => n !== 'none');
      if (networks.length > 0 && !this.expectedNetworks.has(info.Id))
        this.expectedNetworks.set(info.Id, new Set(networks));
    }
  }

  private onEngineEvent(event: EngineEvent): void {
    const attributes = event.Actor?.Attributes ?? {};
    const at = event.timeNano ? Math.floor(event.timeNano / 1e6) : Date.now();
    const action = (event.Action ?? '').split(':')[0]!;
    if (event.Type === 'container') {
      if (this.options.project && attributes[COMPOSE_PROJECT_LABEL] !== this.options.project) return;
      const name = attributes[COMPOSE_SERVICE_LABEL];
      if (!name) return;
      if (event.Actor?.ID) this.serviceOf.set(event.Actor.ID, name);
      if (GONE_EVENTS.has(action)) this.emit({ name, kind: 'gone', at, detail: `container ${action}` });
      else if (action === 'pause') this.emit({ name, kind: 'paused', at, detail: 'container paused' });
      else if (action === 'start' || action === 'unpause' || action === 'restart')
        this.emit({ name, kind: 'back', at, detail: `container ${action}` });
      return;
    }
    if (event.Type === 'network') {
      const id = attributes.container;
      const name = id ? this.serviceOf.get(id) : undefined;
      if (!name) return;
      if (action === 'disconnect')
        this.emit({
          name,
          kind: 'disconnected',
          at,
          detail: `disconnected from ${attributes.name ?? 'a network'}`,
        });
      else if (action === 'connect')
        this.emit({ name, kind: 'back', at, detail: `connected to ${attributes.name ?? 'a network'}` });
    }
  }

  private emit(event: RuntimeEvent): void {
    emitToListeners(this.listeners, event);
  }

  private engine<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return callEngine('docker', what, fn);
  }
}

/** Which of two statuses needs recovery more. */
function rank(status: RuntimeStatus): number {
  if (status.state === 'stopped') return 5;
  if (status.state === 'paused') return 4;
  if (status.state === 'running' && status.disconnected.length > 0) return 3;
  if (status.state === 'restarting' || status.state === 'starting') return 2;
  if (status.state === 'running') return 1;
  return 0;
}
