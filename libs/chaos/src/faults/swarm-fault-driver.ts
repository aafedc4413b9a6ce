import Docker from 'dockerode';
import { RedoubtError } from '@redoubt/errors';
import type { FaultKind } from '../scenario/scenario-schema.js';
import type { ChaosTarget } from '../targets/chaos-target.js';
import {
  DockerFaultDriver,
  HEALTH_URL_LABEL,
  ID_LABEL,
  ROLE_LABEL,
  normaliseRole,
  roleFromServiceName,
} from './docker-fault-driver.js';
import type { FaultDriver, TargetState } from './fault-driver.js';

const STACK_LABEL = 'com.docker.stack.namespace';
const SERVICE_LABEL = 'com.docker.swarm.service.name';
const TASK_NAME_LABEL = 'com.docker.swarm.task.name';
const NEVER_ROLES = ['prometheus', 'grafana', 'k6', 'chaos'];
/** Faults on a task's container. Not `disconnect`: the engine owns a task's overlay networks. */
const SUPPORTED: readonly FaultKind[] = ['kill', 'stop', 'pause', 'crash', 'restart'];

export interface SwarmFaultDriverOptions {
  /** The stack whose services are targets (label com.docker.stack.namespace). */
  stack: string;
  docker?: Docker;
  /** Base URLs of the services, as for the Docker driver: a URL belongs to the target named by its host. */
  services?: readonly { url: string; id?: string | undefined }[];
}

/**
 * Faults on the tasks of a Docker Swarm stack. A target is a service (`data-1`) or, for a service of
 * several replicas, one replica by its slot (`gateway-2`, as the stack's `hostname: gateway-{{.Task.Slot}}`
 * names it). Each fault hits the container of the target's current task, through the Docker driver's own
 * injections (kill, stop, pause, crash from inside, restart).
 *
 * Unlike compose, the engine replaces a killed or stopped task with a new container: a target's state
 * follows its slot (the newest container of it), so recovery is seen as a new container that serves. The
 * driver never starts a container itself (undo of a kill or stop is the engine's work); it only unpauses.
 */
export class SwarmFaultDriver implements FaultDriver {
  readonly name = 'swarm' as const;
  private readonly docker: Docker;
  private readonly injector: DockerFaultDriver;
  /** Containers this run paused, for undo and healAll. */
  private readonly paused = new Set<string>();

  constructor(private readonly options: SwarmFaultDriverOptions) {
    this.docker = options.docker ?? new Docker();
    this.injector = new DockerFaultDriver({ project: options.stack, docker: this.docker, crashVia: 'exec' });
  }

  supports(kind: FaultKind): boolean {
    return SUPPORTED.includes(kind);
  }

  async inventory(): Promise<ChaosTarget[]> {
    const services = await this.docker.listServices({
      filters: { label: [`${STACK_LABEL}=${this.options.stack}`] },
    });
    const prefix = `${this.options.stack}_`;
    const targets: ChaosTarget[] = [];
    for (const service of services) {
      const full = service.Spec?.Name ?? '';
      const base = full.startsWith(prefix) ? full.slice(prefix.length) : full;
      // @types/dockerode's TaskSpec is a union without ContainerSpec on every member: the stack's are containers.
      const task = service.Spec?.TaskTemplate as
        { ContainerSpec?: { Labels?: Record<string, string> } } | undefined;
      const labels = task?.ContainerSpec?.Labels ?? {};
      const role = normaliseRole(labels[ROLE_LABEL] ?? roleFromServiceName(base));
      if (NEVER_ROLES.includes(role)) continue;
      const replicas = service.Spec?.Mode?.Replicated?.Replicas ?? 1;
      for (let slot = 1; slot <= replicas; slot++) {
        const name = replicas > 1 ? `${base}-${slot}` : base;
        const known = this.serviceFor(name);
        targets.push({
          name,
          role,
          id: labels[ID_LABEL] ?? known?.id,
          healthUrl: labels[HEALTH_URL_LABEL] ?? known?.url,
          labels: { ...labels, 'swarm.service': full, 'swarm.slot': String(slot), name },
        });
      }
    }
    return targets;
  }

  async inject(kind: FaultKind, target: ChaosTarget): Promise<void> {
    if (!this.supports(kind))
      throw new RedoubtError(
        'FAULT_REFUSED',
        `the swarm driver cannot ${kind}: the engine owns task networks`,
      );
    const container = await this.current(target);
    if (!container || container.State !== 'running')
      throw new RedoubtError('FAULT_REFUSED', `${target.name} has no running task container`, {
        target: target.name,
      });
    if (kind === 'pause') this.paused.add(container.Id);
    // `restart` as a stop: the engine replaces the task (restarting its container under it would be a
    // container the engine did not start).
    await this.injector.inject(kind === 'restart' ? 'stop' : kind, this.asContainer(target, container.Id));
  }

  async undo(kind: FaultKind, target: ChaosTarget): Promise<void> {
    if (kind !== 'pause') return; // kill, stop, crash: the engine starts the replacement task
    for (const id of [...this.paused]) {
      const info = await this.docker
        .getContainer(id)
        .inspect()
        .catch(() => undefined);
      if (info?.Config.Labels?.[SERVICE_LABEL] !== target.labels['swarm.service']) continue;
      if (info.State.Paused) await this.docker.getContainer(id).unpause();
      this.paused.delete(id);
    }
  }

  async state(target: ChaosTarget): Promise<TargetState> {
    try {
      const containers = await this.slotContainers(target);
      const newest = containers[0];
      if (!newest) return { state: 'starting', instance: null, restarts: 0 };
      const info = await this.docker.getContainer(newest.Id).inspect();
      const state = info.State.Paused
        ? 'paused'
        : info.State.Running
          ? 'running'
          : info.State.Status === 'created'
            ? 'starting'
            : 'stopped';
      return {
        state,
        instance: `${newest.Id.slice(0, 12)}@${info.State.StartedAt}`,
        restarts: containers.length - 1,
      };
    } catch {
      return { state: 'unknown', instance: null, restarts: 0 };
    }
  }

  /** Unpauses every paused container of the stack; the engine restarts whatever is down. */
  async healAll(): Promise<string[]> {
    const done: string[] = [];
    const paused = await this.docker.listContainers({
      filters: { label: [`${STACK_LABEL}=${this.options.stack}`], status: ['paused'] },
    });
    for (const c of paused) {
      await this.docker.getContainer(c.Id).unpause();
      done.push(`unpaused ${c.Names[0] ?? c.Id}`);
    }
    this.paused.clear();
    return done;
  }

  async close(): Promise<void> {
    await this.injector.close();
  }

  /** The target's containers (its slot's, for a replica), newest first; old ones stay as the task history. */
  private async slotContainers(target: ChaosTarget): Promise<Docker.ContainerInfo[]> {
    const service = target.labels['swarm.service'];
    const slot = target.labels['swarm.slot'];
    if (!service || !slot)
      throw new RedoubtError('NODE_NOT_FOUND', `${target.name} is not a task of this stack`);
    const all = await this.docker.listContainers({
      all: true,
      filters: { label: [`${SERVICE_LABEL}=${service}`] },
    });
    return all
      .filter((c) => c.Labels[TASK_NAME_LABEL]?.startsWith(`${service}.${slot}.`))
      .sort((a, b) => b.Created - a.Created);
  }

  private async current(target: ChaosTarget): Promise<Docker.ContainerInfo | undefined> {
    const containers = await this.slotContainers(target);
    return containers.find((c) => c.State === 'running') ?? containers[0];
  }

  private asContainer(target: ChaosTarget, id: string): ChaosTarget {
    return { ...target, labels: { ...target.labels, 'container.id': id } };
  }

  private serviceFor(name: string): { url: string; id?: string | undefined } | undefined {
    return this.options.services?.find((s) => {
      try {
        return new URL(s.url).hostname === name;
      } catch {
        return false;
      }
    });
  }
}
