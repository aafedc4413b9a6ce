import { existsSync, readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { RedoubtError } from '@redoubt/errors';
import type { FaultKind } from '../scenario/scenario-schema.js';
import type { ChaosTarget } from '../targets/chaos-target.js';
import { containerIps, HEAL_COMMANDS, linkRuleCommands, runInNetns } from './docker-netns-faults.js';
import { writeClockOffset } from './clock-offset.js';
import type { FaultDriver, FaultParams, TargetState } from './fault-driver.js';

export interface DockerFaultDriverOptions {
  /** The compose project whose containers are targets (label com.docker.compose.project). */
  project: string;
  /** Engine connection; default: DOCKER_HOST or /var/run/docker.sock (dockerode's defaults). */
  docker?: Docker;
  /**
   * Base URLs of the services (gateways, DATA_NODES, monitors, REDIS_URL), for containers without a
   * health-url label: a URL belongs to the container whose service name, container name or network alias
   * is its host name (compose DNS: http://data-1:7101 is the service data-1).
   */
  services?: readonly { url: string; id?: string | undefined }[];
  /** Never a target (the chaos container itself, Prometheus, Grafana, k6). */
  exclude?: readonly string[];
  /**
   * How a crash kills the main process: `auto` by its host PID when visible (chaos on the host or with
   * pid: host), else from inside with `docker exec`; `exec` always from inside.
   */
  crashVia?: 'auto' | 'exec';
  /**
   * clock-skew: the folder of the services' libfaketime offset files (CHAOS_CLOCK_DIR; present when the
   * stack was started with deploy/docker/chaos-clock.yml). Without it clock faults are refused.
   */
  clockDir?: string | undefined;
}

/**
 * Labels the project's compose file may set (io.redoubt.* as docker-compose.yml does, or com.redoubt.*);
 * everything also works from the compose labels alone.
 */
export const ROLE_LABEL = 'io.redoubt.role';
export const ID_LABEL = 'io.redoubt.id';
export const HEALTH_URL_LABEL = 'io.redoubt.health-url';
const label = (labels: Record<string, string>, name: string): string | undefined =>
  labels[name] ?? labels[name.replace(/^io\./, 'com.')];

/** Role names as scenarios use them (the stack's roles): a compose `worker` is the `backup-worker`. */
export function normaliseRole(role: string): string {
  return role === 'worker' ? 'backup-worker' : role;
}
const COMPOSE_PROJECT = 'com.docker.compose.project';
const COMPOSE_SERVICE = 'com.docker.compose.service';
const COMPOSE_NUMBER = 'com.docker.compose.container-number';
const COMPOSE_ONEOFF = 'com.docker.compose.oneoff';

const NEVER_TARGETS = ['prometheus', 'grafana', 'k6', 'chaos'];
const NEVER_ROLES = ['prometheus', 'grafana', 'k6', 'chaos'];

/** A role from the service name when the compose file sets no com.redoubt.role label. */
export function roleFromServiceName(service: string): string {
  const s = service.toLowerCase();
  if (/^(data|d)[-_]?\d*$/.test(s) || s.startsWith('data')) return 'data';
  if (s.startsWith('gateway') || /^gw[-_]?\d*$/.test(s)) return 'gateway';
  if (s.startsWith('redis')) return 'redis';
  if (s.startsWith('monitor')) return 'monitor';
  if (s.startsWith('backup-worker') || s.startsWith('worker')) return 'backup-worker';
  return s.replace(/[-_]?\d+$/, '');
}

interface Disconnection {
  network: string;
  aliases: string[];
}

/**
 * Faults on the containers of one compose project through the Docker Engine API (dockerode):
 * - kill: SIGKILL via the engine; stop: graceful stop. Both leave the container down by hand (its restart
 *   policy does not act): bringing it back is the monitor's job, or ours after `duration`.
 * - pause/unpause (freezer cgroup), restart.
 * - crash: the main process dies *inside* the container, so the restart policy acts: SIGKILL to the
 *   container's main process by its host PID when this process can see it (chaos on the host), otherwise
 *   `docker exec` of a kill of the init's child (images run with an init such as tini) or of PID 1.
 * - disconnect: off every network it is on (aliases remembered), reconnected by `undo`/`healAll`.
 */
export class DockerFaultDriver implements FaultDriver {
  readonly name = 'docker' as const;
  private readonly docker: Docker;
  private readonly disconnected = new Map<string, Disconnection[]>();
  private readonly stoppedByUs = new Set<string>();
  /** Containers with link rules in their network namespace, and services with a skewed clock. */
  private readonly linkFaulted = new Set<string>();
  private readonly skewed = new Set<string>();
  /** Containers running when the run looked first: what healAll brings back. */
  private baseline: Set<string> | undefined;

  constructor(private readonly options: DockerFaultDriverOptions) {
    this.docker = options.docker ?? new Docker();
  }

  supports(kind: FaultKind): boolean {
    return kind !== 'clock-skew' || this.options.clockDir !== undefined;
  }

  async inventory(): Promise<ChaosTarget[]> {
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [`${COMPOSE_PROJECT}=${this.options.project}`] },
    });
    const exclude = new Set([...NEVER_TARGETS, ...(this.options.exclude ?? [])]);
    const services = containers
      .filter((c) => c.Labels[COMPOSE_ONEOFF] !== 'True')
      .filter((c) => !exclude.has(c.Labels[COMPOSE_SERVICE] ?? ''))
      .filter((c) => !NEVER_ROLES.includes(label(c.Labels, ROLE_LABEL) ?? ''));
    const perService = new Map<string, number>();
    for (const c of services) {
      const service = c.Labels[COMPOSE_SERVICE] ?? '';
      perService.set(service, (perService.get(service) ?? 0) + 1);
    }
    if (!this.baseline)
      this.baseline = new Set(services.filter((c) => c.State === 'running').map((c) => c.Id));
    return services.map((c) => {
      const service = c.Labels[COMPOSE_SERVICE] ?? c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12);
      const name =
        (perService.get(service) ?? 0) > 1 ? `${service}-${c.Labels[COMPOSE_NUMBER] ?? '1'}` : service;
      const known = this.serviceFor([
        service,
        name,
        ...c.Names.map((n) => n.replace(/^\//, '')),
        ...aliasesOf(c),
      ]);
      return {
        name,
        role: normaliseRole(label(c.Labels, ROLE_LABEL) ?? roleFromServiceName(service)),
        id: label(c.Labels, ID_LABEL) ?? known?.id,
        healthUrl: label(c.Labels, HEALTH_URL_LABEL) ?? known?.url,
        labels: { ...c.Labels, 'container.id': c.Id, name },
      };
    });
  }

  async inject(kind: FaultKind, target: ChaosTarget, params: FaultParams = {}): Promise<void> {
    const container = this.container(target);
    switch (kind) {
      case 'partition':
      case 'slow-link':
      case 'reset-link': {
        const peerIps = params.peer ? await containerIps(this.docker, this.idOf(params.peer)) : [];
        if (params.peer && peerIps.length === 0)
          throw new RedoubtError(
            'FAULT_REFUSED',
            `${params.peer.name} has no address to cut ${target.name} from`,
          );
        this.linkFaulted.add(this.idOf(target));
        await runInNetns(
          this.docker,
          this.idOf(target),
          linkRuleCommands({ kind, peerIps, direction: params.direction ?? 'both', loss: params.loss }),
        );
        return;
      }
      case 'clock-skew':
        this.skewed.add(this.serviceOf(target));
        await writeClockOffset(this.clockDir(), this.serviceOf(target), params.skewMs ?? 0);
        return;
      case 'kill':
        this.stoppedByUs.add(this.idOf(target));
        await container.kill({ signal: 'SIGKILL' });
        return;
      case 'stop':
        this.stoppedByUs.add(this.idOf(target));
        await container.stop({ t: 10 });
        return;
      case 'pause':
        await container.pause();
        return;
      case 'restart':
        await container.restart({ t: 10 });
        return;
      case 'crash':
        await this.crash(target);
        return;
      case 'disconnect':
        await this.disconnect(target);
        return;
    }
  }

  async undo(kind: FaultKind, target: ChaosTarget, _params?: FaultParams): Promise<void> {
    if (kind === 'clock-skew') {
      await writeClockOffset(this.clockDir(), this.serviceOf(target), 0);
      this.skewed.delete(this.serviceOf(target));
      return;
    }
    const container = this.container(target);
    const info = await container.inspect();
    if (kind === 'partition' || kind === 'slow-link' || kind === 'reset-link') {
      if (info.State.Running) await runInNetns(this.docker, info.Id, HEAL_COMMANDS);
      this.linkFaulted.delete(info.Id);
      return;
    }
    if (kind === 'pause' && info.State.Paused) await container.unpause();
    if (kind === 'disconnect') await this.reconnect(target);
    if ((kind === 'stop' || kind === 'kill') && !info.State.Running) {
      await container.start();
      this.stoppedByUs.delete(this.idOf(target));
    }
  }

  async state(target: ChaosTarget): Promise<TargetState> {
    try {
      const info = await this.container(target).inspect();
      const state = info.State.Paused
        ? 'paused'
        : info.State.Restarting
          ? 'restarting'
          : info.State.Running
            ? this.disconnected.has(this.idOf(target))
              ? 'disconnected'
              : 'running'
            : 'stopped';
      return { state, instance: `${info.State.Pid}@${info.State.StartedAt}`, restarts: info.RestartCount };
    } catch {
      return { state: 'unknown', instance: null, restarts: 0 };
    }
  }

  /** Unpause, reconnect, and start whatever ran when the run began and is down now. */
  async healAll(): Promise<string[]> {
    const done: string[] = [];
    const all = await this.docker.listContainers({
      all: true,
      filters: { label: [`${COMPOSE_PROJECT}=${this.options.project}`] },
    });
    for (const c of all.filter((c) => c.State === 'paused')) {
      await this.docker.getContainer(c.Id).unpause();
      done.push(`unpaused ${c.Names[0] ?? c.Id}`);
    }
    for (const [id, networks] of [...this.disconnected]) {
      for (const n of networks) {
        try {
          await this.docker
            .getNetwork(n.network)
            .connect({ Container: id, EndpointConfig: { Aliases: n.aliases } });
          done.push(`reconnected ${id.slice(0, 12)} to ${n.network}`);
        } catch (error) {
          if (!/already exists/i.test((error as Error).message))
            done.push(`could not reconnect ${id.slice(0, 12)} to ${n.network}: ${(error as Error).message}`);
        }
      }
      this.disconnected.delete(id);
    }
    for (const id of [...this.linkFaulted]) {
      try {
        await runInNetns(this.docker, id, HEAL_COMMANDS);
        done.push(`healed the links of ${id.slice(0, 12)}`);
      } catch (error) {
        done.push(`could not heal the links of ${id.slice(0, 12)}: ${(error as Error).message}`);
      }
      this.linkFaulted.delete(id);
    }
    for (const service of [...this.skewed]) {
      await writeClockOffset(this.clockDir(), service, 0);
      done.push(`reset the clock of ${service}`);
      this.skewed.delete(service);
    }
    const bringBack = new Set([...(this.baseline ?? []), ...this.stoppedByUs]);
    for (const c of all.filter((c) => bringBack.has(c.Id) && c.State !== 'running' && c.State !== 'paused')) {
      try {
        await this.docker.getContainer(c.Id).start();
        done.push(`started ${c.Names[0] ?? c.Id}`);
      } catch (error) {
        done.push(`could not start ${c.Names[0] ?? c.Id}: ${(error as Error).message}`);
      }
    }
    this.stoppedByUs.clear();
    return done;
  }

  async close(): Promise<void> {
    // dockerode keeps no connection open between calls
  }

  private serviceFor(names: readonly string[]): { url: string; id?: string | undefined } | undefined {
    return this.options.services?.find((s) => {
      try {
        return names.includes(new URL(s.url).hostname);
      } catch {
        return false;
      }
    });
  }

  private clockDir(): string {
    if (!this.options.clockDir)
      throw new RedoubtError(
        'FAULT_REFUSED',
        'clock faults need the stack started with deploy/docker/chaos-clock.yml (npm run chaos:docker does) and CHAOS_CLOCK_DIR',
      );
    return this.options.clockDir;
  }

  /** The compose service (the clock file's name): `gateway-2`, not the container name. */
  private serviceOf(target: ChaosTarget): string {
    return target.labels[COMPOSE_SERVICE] ?? target.name;
  }

  private idOf(target: ChaosTarget): string {
    const id = target.labels['container.id'];
    if (!id) throw new RedoubtError('NODE_NOT_FOUND', `${target.name} is not a container of this project`);
    return id;
  }

  private container(target: ChaosTarget): Docker.Container {
    return this.docker.getContainer(this.idOf(target));
  }

  private async crash(target: ChaosTarget): Promise<void> {
    const container = this.container(target);
    const before = await container.inspect();
    if (!before.State.Running)
      throw new RedoubtError('FAULT_REFUSED', `${target.name} is not running; nothing to crash`);
    const hostPid = before.State.Pid;
    // On the host (or with pid: host) the main process is visible: kill it as a crash would.
    const viaHost = (this.options.crashVia ?? 'auto') === 'auto';
    if (
      viaHost &&
      hostPid > 0 &&
      existsSync(`/proc/${hostPid}/stat`) &&
      sameStart(hostPid, before.State.StartedAt)
    ) {
      process.kill(hostPid, 'SIGKILL');
      return;
    }
    // Inside: kill the init's child (tini, docker-init, dumb-init) or PID 1 itself.
    const script =
      'c=$(cat /proc/1/task/1/children 2>/dev/null); i=$(cat /proc/1/comm 2>/dev/null); ' +
      'case "$i" in tini|docker-init|dumb-init|init) [ -n "$c" ] && kill -KILL $c ;; *) kill -KILL 1 ;; esac';
    const exec = await container.exec({
      Cmd: ['sh', '-c', script],
      AttachStdout: false,
      AttachStderr: false,
    });
    await exec.start({ Detach: true });
    // PID 1 ignores SIGKILL sent from inside its own namespace: make sure the process really died.
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const now = await container.inspect();
      if (now.State.Pid !== hostPid || now.State.StartedAt !== before.State.StartedAt || !now.State.Running)
        return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new RedoubtError(
      'FAULT_REFUSED',
      `${target.name}: the main process survived a SIGKILL from inside (it is PID 1 without an init); ` +
        'run the service with init: true (tini), or run the chaos app on the host or with pid: host',
      { target: target.name },
    );
  }

  private async disconnect(target: ChaosTarget): Promise<void> {
    const container = this.container(target);
    const info = await container.inspect();
    const networks = Object.entries(info.NetworkSettings.Networks ?? {});
    if (networks.length === 0) throw new RedoubtError('FAULT_REFUSED', `${target.name} is on no network`);
    const taken: Disconnection[] = [];
    for (const [network, endpoint] of networks) {
      await this.docker.getNetwork(network).disconnect({ Container: info.Id, Force: true });
      const aliases = (endpoint.Aliases ?? []).filter((a: string) => !info.Id.startsWith(a));
      taken.push({ network, aliases });
    }
    this.disconnected.set(info.Id, taken);
  }

  private async reconnect(target: ChaosTarget): Promise<void> {
    const id = this.idOf(target);
    for (const n of this.disconnected.get(id) ?? []) {
      await this.docker
        .getNetwork(n.network)
        .connect({ Container: id, EndpointConfig: { Aliases: n.aliases } });
    }
    this.disconnected.delete(id);
  }
}

function aliasesOf(container: Docker.ContainerInfo): string[] {
  const networks = container.NetworkSettings?.Networks ?? {};
  return Object.values(networks).flatMap((n) => (n as { Aliases?: string[] | null }).Aliases ?? []);
}

/**
 * Guards against signalling a reused PID: the process must have started within a few seconds of what the
 * engine reports (both from /proc: field 22 of stat is the start in clock ticks since boot).
 */
function sameStart(pid: number, startedAt: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[19]);
    const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const startedMs = Date.now() - (uptime - startTicks / 100) * 1000;
    return Math.abs(startedMs - Date.parse(startedAt)) < 10_000;
  } catch {
    return false;
  }
}
