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

/** The label `docker stack deploy` puts on a stack's services and containers. */
export const STACK_NAMESPACE_LABEL = 'com.docker.stack.namespace';
export const SWARM_SERVICE_LABEL = 'com.docker.swarm.service.name';
export const SWARM_TASK_NAME_LABEL = 'com.docker.swarm.task.name';

export interface SwarmDriverOptions {
  /** The stack (`docker stack deploy ... <stack>`): a service `data-1` is the swarm service `<stack>_data-1`. */
  stack: string;
  /** Default /var/run/docker.sock (a manager's engine: the service API answers only on managers). */
  socketPath?: string;
  /** A client to use instead of one on `socketPath` (tests). */
  docker?: Docker;
}

/** A task's state (swarmkit's TaskState) as a runtime state, while the task is meant to run. */
const TASK_STATES: Record<string, RuntimeState> = {
  new: 'starting',
  pending: 'starting',
  assigned: 'starting',
  accepted: 'starting',
  preparing: 'starting',
  ready: 'starting',
  starting: 'starting',
  running: 'running',
};

/** The fields of a task (GET /tasks) this driver reads; @types/dockerode's Task leaves them out. */
interface SwarmTask {
  Slot?: number;
  CreatedAt?: string;
  DesiredState?: string;
  Status?: {
    State?: string;
    Err?: string;
    Timestamp?: string;
    ContainerStatus?: { ContainerID?: string };
  };
}

interface Target {
  service: Docker.Service;
  serviceName: string;
  /** A replica of a replicated service (`gateway-2`: slot 2 of `gateway`), or every task when undefined. */
  slot: number | undefined;
}

/**
 * ORCHESTRATOR=swarm: Docker Swarm through the Engine API of a manager (dockerode). The engine keeps each
 * service at its replica count: it replaces a task whose container died, was killed or was stopped, on a node
 * that satisfies the service's placement constraints. This driver watches services and tasks and acts only
 * through the engine:
 *
 * - start, restart: a force update of the service (`docker service update --force`), which makes the engine
 *   replace its tasks (one at a time, per the service's update_config). It never starts, restarts or creates a
 *   container itself: a container started behind the engine's back would be one the engine does not count.
 * - unpause: the engine's unpause of the paused task container (Swarm has no notion of a paused task, so it
 *   would never act; unpausing keeps the process and its state, where a force update would cost a boot).
 * - reconnect: refused (Swarm attaches a task's networks; a cut-off task is restarted instead).
 *
 * A name is a stack service (`data-1` -> `<stack>_data-1`), or a replica of one by its slot, as the stack
 * names replicas with `hostname: '<service>-{{.Task.Slot}}'` (`gateway-2` -> slot 2 of `<stack>_gateway`).
 * Events come from the engine's container event stream, named by both the service and `<service>-<slot>`.
 */
export class SwarmDriver implements OrchestratorDriver {
  readonly kind = 'swarm' as const;
  private readonly docker: Docker;
  private readonly listeners = new Set<(event: RuntimeEvent) => void>();
  private events: EngineEventStream | undefined;

  constructor(private readonly options: SwarmDriverOptions) {
    this.docker = options.docker ?? new Docker({ socketPath: options.socketPath ?? '/var/run/docker.sock' });
  }

  async status(name: string): Promise<RuntimeStatus> {
    const target = await this.target(name);
    if (!target)
      return {
        name,
        state: 'missing',
        detail: 'no such service',
        disconnected: [],
        pid: null,
        startedAt: null,
      };
    const tasks = await this.tasks(target);
    const wanted = tasks.filter((t) => t.DesiredState === 'running');
    if (wanted.length === 0) {
      const replicas = (await this.inspect(target)).Spec?.Mode?.Replicated?.Replicas;
      const last = tasks[0];
      const detail = last ? `task ${last.Status?.State}${errorOf(last)}` : 'no task';
      // No task meant to run: the engine is between a dead task and its replacement (restart delay), so the
      // monitor waits (and force-updates if that lasts); a service scaled to 0 is stopped.
      const state: RuntimeState = replicas === 0 ? 'stopped' : 'restarting';
      return { name, state, detail, disconnected: [], pid: null, startedAt: null };
    }
    // Several replicas: report the worst one (the one recovery must act on).
    let worst: RuntimeStatus | undefined;
    for (const task of wanted) {
      const status = await this.taskStatus(name, task);
      if (!worst || rank(status) > rank(worst)) worst = status;
    }
    return worst!;
  }

  async perform(name: string, action: RuntimeAction): Promise<void> {
    const target = await this.target(name);
    if (!target)
      throw new RedoubtError(
        'ORCHESTRATOR_TARGET_NOT_FOUND',
        `swarm: no service ${this.serviceNameOf(name)}`,
        {
          name,
        },
      );
    switch (action) {
      case 'start':
      case 'restart':
        await this.forceUpdate(target);
        return;
      case 'unpause':
        for (const task of await this.tasks(target)) {
          const id = task.Status?.ContainerStatus?.ContainerID;
          if (task.DesiredState !== 'running' || !id) continue;
          const container = this.docker.getContainer(id);
          const details = await this.engine(`inspect ${name}`, () => container.inspect());
          if (details.State.Paused) await this.engine(`unpause ${name}`, () => container.unpause());
        }
        return;
      case 'reconnect':
        throw new RedoubtError(
          'ORCHESTRATOR_ACTION_FAILED',
          `swarm: cannot reconnect ${name}: the engine attaches a task's networks (restart it instead)`,
          { name, action },
        );
    }
  }

  /** `docker service update --force`: the engine replaces the service's tasks as its update_config says. */
  async forceUpdate(target: Target): Promise<void> {
    const info = await this.inspect(target);
    const spec = info.Spec as Docker.ServiceSpec & { TaskTemplate: { ForceUpdate?: number } };
    spec.TaskTemplate.ForceUpdate = (spec.TaskTemplate.ForceUpdate ?? 0) + 1;
    await this.engine(`force-update ${target.serviceName}`, () =>
      target.service.update({ ...spec, version: info.Version!.Index }),
    );
  }

  watch(listener: (event: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    this.events ??= new EngineEventStream(
      this.docker,
      { type: ['container'], label: [`${STACK_NAMESPACE_LABEL}=${this.options.stack}`] },
      (event) => this.onEngineEvent(event),
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

  private serviceNameOf(name: string): string {
    return `${this.options.stack}_${name}`;
  }

  /** The service a name means: the stack's service of that name, else a slot of `<base>` for `<base>-<n>`. */
  private async target(name: string): Promise<Target | undefined> {
    const services = await this.engine('list services', () =>
      this.docker.listServices({ filters: { label: [`${STACK_NAMESPACE_LABEL}=${this.options.stack}`] } }),
    );
    const byName = (serviceName: string) => services.find((s) => s.Spec?.Name === serviceName);
    const exact = byName(this.serviceNameOf(name));
    if (exact)
      return { service: this.docker.getService(exact.ID), serviceName: exact.Spec!.Name!, slot: undefined };
    const replica = /^(.+)-(\d+)$/.exec(name);
    const base = replica ? byName(this.serviceNameOf(replica[1]!)) : undefined;
    if (!base) return undefined;
    return {
      service: this.docker.getService(base.ID),
      serviceName: base.Spec!.Name!,
      slot: Number(replica![2]),
    };
  }

  private async inspect(target: Target): Promise<Docker.Service> {
    return this.engine(`inspect service ${target.serviceName}`, () => target.service.inspect());
  }

  /** The target's tasks, newest first. */
  private async tasks(target: Target): Promise<SwarmTask[]> {
    const tasks = (await this.engine(`list tasks of ${target.serviceName}`, () =>
      this.docker.listTasks({ filters: { service: [target.serviceName] } }),
    )) as unknown as SwarmTask[];
    return tasks
      .filter((t) => target.slot === undefined || t.Slot === target.slot)
      .sort((a, b) => Date.parse(b.CreatedAt ?? '') - Date.parse(a.CreatedAt ?? ''));
  }

  private async taskStatus(name: string, task: SwarmTask): Promise<RuntimeStatus> {
    const taskState = task.Status?.State ?? 'unknown';
    const base = { name, disconnected: [] as string[] };
    // A task with a health check stays `starting` until its container is healthy.
    const state = TASK_STATES[taskState] ?? 'restarting';
    const containerId = task.Status?.ContainerStatus?.ContainerID;
    if (!containerId)
      return { ...base, state, detail: `task ${taskState}${errorOf(task)}`, pid: null, startedAt: null };
    // The container: paused or not (the engine's task stays `running`), and when it started, so that the
    // monitor gives a task the engine has just replaced its startup grace instead of restarting it again.
    try {
      const details = await this.docker.getContainer(containerId).inspect();
      return {
        ...base,
        state: details.State.Paused ? 'paused' : !details.State.Running ? 'restarting' : state,
        detail: `task ${taskState}, container ${details.State.Status}`,
        pid: details.State.Pid || null,
        startedAt: engineTime(details.State.StartedAt),
      };
    } catch {
      // On another node of the swarm: this engine cannot see the container; the task's time will do.
      return {
        ...base,
        state,
        detail: `task ${taskState}`,
        pid: null,
        startedAt: engineTime(task.Status?.Timestamp),
      };
    }
  }

  private onEngineEvent(event: EngineEvent): void {
    const attributes = event.Actor?.Attributes ?? {};
    const service = attributes[SWARM_SERVICE_LABEL];
    const prefix = `${this.options.stack}_`;
    if (!service?.startsWith(prefix)) return;
    const name = service.slice(prefix.length);
    const slot = /\.(\d+)\./.exec(attributes[SWARM_TASK_NAME_LABEL] ?? '')?.[1];
    const action = (event.Action ?? '').split(':')[0]!;
    const kind: RuntimeEvent['kind'] | undefined = ['die', 'kill', 'stop', 'oom'].includes(action)
      ? 'gone'
      : action === 'pause'
        ? 'paused'
        : action === 'start' || action === 'unpause'
          ? 'back'
          : undefined;
    if (!kind) return;
    const at = event.timeNano ? Math.floor(event.timeNano / 1e6) : Date.now();
    for (const subject of slot ? [name, `${name}-${slot}`] : [name])
      this.emit({ name: subject, kind, at, detail: `task container ${action}` });
  }

  private emit(event: RuntimeEvent): void {
    emitToListeners(this.listeners, event);
  }

  private engine<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return callEngine('swarm', what, fn, 'ORCHESTRATOR_TARGET_NOT_FOUND');
  }
}

function errorOf(task: SwarmTask | undefined): string {
  const error = task?.Status?.Err;
  return error ? ` (${error})` : '';
}

/** Which of two statuses needs recovery more. */
function rank(status: RuntimeStatus): number {
  const order: RuntimeState[] = ['unknown', 'running', 'starting', 'restarting', 'paused', 'stopped'];
  return order.indexOf(status.state);
}
