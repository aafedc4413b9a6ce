import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, rmSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { redisEnvOf, type RedisTarget } from '@redoubt/config';
import { RedoubtError } from '@redoubt/errors';
import {
  addedDataNodes,
  dataNodeIndex,
  forgetAddedDataNode,
  recordAddedDataNode,
} from './added-data-nodes.js';
import { freePort } from './free-port.js';
import { processStartTime } from './process-identity.js';
import { SENTINEL_MASTER_NAME, waitForSentinelGroup } from './redis-sentinel.js';
import { assertRedisServerAvailable } from './redis-server-process.js';
import { REDOUBT_STACK } from './redoubt-stack.js';
import type { RestartPolicy } from './restart-policy.js';
import { appEntry, ServiceProcess } from './service-process.js';
import { writeStackFile, type StackFile } from './stack-file.js';
import {
  acquireHomeLock,
  checkClusterIdentity,
  ensureHome,
  homePaths,
  stopLeftovers,
  wipeState,
} from './stack-home.js';
import {
  instanceCounts,
  type ClusterSettings,
  type ComponentDefinition,
  type StackContext,
  type StackDefinition,
  type StackInstance,
  type StackKeys,
} from './stack-definition.js';
import type { SupervisedProcess, SupervisorEvent } from './supervised-process.js';
import { Supervisor } from './supervisor.js';
import { clockDirOf, clockFaultEnv, findLibfaketime } from './clock-faults.js';

/** One line for the log: a child's output, or a note from the stack itself (`stream: 'stack'`). */
export interface StackLogEntry {
  service: string;
  stream: 'stdout' | 'stderr' | 'stack';
  level: 'info' | 'warn' | 'error';
  line: string;
}

export interface LocalStackOptions {
  /** Where state, logs and stack.json live (data persists here across runs). */
  home: string;
  dataNodes?: number;
  gateways?: number;
  /** Run the backup-worker (once apps/backup-worker/src/main.ts exists). Default true. */
  worker?: boolean;
  /**
   * Scheduled backups in the worker to the stack's own s3rver (`<home>/s3`, started with them) and to
   * `<home>/backups/t2`. Default false (npm start turns them on).
   */
  backups?: boolean;
  /** Instance counts by role for components without a flag of their own. */
  instances?: Record<string, number>;
  /** `sentinel`: Redis as a master, a replica and three sentinels (the services go through the sentinels). */
  redis?: 'single' | 'sentinel';
  /** What to run; default: redoubt (REDOUBT_STACK). Tests of the supervisor pass their own. */
  definition?: StackDefinition;
  /** Ports by process name (`redis`, `data-1`, `gw-1`...); missing or 0: a free port. */
  ports?: Record<string, number>;
  /** Secrets; whatever is missing is generated for this run with crypto.randomBytes. */
  keys?: Partial<StackKeys>;
  partitions?: number;
  queuePrefix?: string;
  logLevel?: string;
  /** Remove what earlier runs stored in `home` first. */
  fresh?: boolean;
  /**
   * Children's output and the stack's own notes: 'inherit' (prefixed lines on stdout), 'ignore', or a
   * function. Every process also logs to `<home>/logs/<name>.log` whatever this says.
   */
  log?: 'inherit' | 'ignore' | ((entry: StackLogEntry) => void);
  restartPolicy?: Partial<RestartPolicy>;
  stopGraceMs?: number;
  readyTimeoutMs?: number;
  /** The supervisor's control API, when something serves one (recorded in stack.json, given to the monitor). */
  controlUrl?: string;
  /** Called with the supervisor as soon as it exists, before anything starts (so a control API can serve it). */
  onSupervisor?: (supervisor: Supervisor) => void;
  /**
   * Let chaos runs skew the clocks of data nodes and gateways (libfaketime, `<home>/clock/<name>`;
   * clock-faults.ts). Off by default; `REDOUBT_CHAOS_CLOCK=1 npm start` turns it on.
   */
  clockFaults?: boolean;
}

export interface StackEndpoint {
  id: string;
  name: string;
  url: string;
}

export interface LocalStack {
  readonly home: string;
  readonly stackFile: string;
  readonly keys: StackKeys;
  readonly settings: ClusterSettings;
  /** The single Redis's URL; empty with `redis: 'sentinel'` (use `redis`). */
  readonly redisUrl: string;
  /** How the services reach Redis: the single server, or the master behind the sentinels. */
  readonly redis: RedisTarget;
  readonly dataNodes: StackEndpoint[];
  readonly gateways: StackEndpoint[];
  /** Every planned process: where it listens, its state directory and log file. */
  readonly instances: readonly StackInstance[];
  /** Components skipped because their app does not exist yet (e.g. `backup-worker`). */
  readonly skipped: readonly string[];
  /** The environment every redoubt service shares, for a test that starts one more service against the stack. */
  readonly clusterEnv: Record<string, string>;
  readonly supervisor: Supervisor;
  /** A process by name, with kill / crash / pause / resume / restart / stop / start. */
  process(name: string): SupervisedProcess;
  processes(): SupervisedProcess[];
  /**
   * Starts one more data node under the supervisor (`d<n>`: process `data-<n>`, directory `data/d<n>`,
   * port = data-1's + n - 1 when ports are laid out, else a free one), resolves once it is ready, and
   * records it in cluster.json so that later runs start it too. Without an id, the next free index. An id
   * whose node already runs answers that node. It holds nothing until `redoubt node add` places it.
   */
  addDataNode(id?: string): Promise<StackEndpoint & { port: number; dir: string }>;
  /** Stops a data node added at run time for good and forgets it (after `redoubt node remove`). */
  retireDataNode(id: string): Promise<void>;
  /** Stops every process in reverse dependency order, removes stack.json and releases the home. */
  stop(): Promise<void>;
}

export function generateSecret(): string {
  return randomBytes(24).toString('hex');
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolvePort(true)));
  });
}

function defaultReplicas(
  dataNodes: number,
): Pick<ClusterSettings, 'replicas' | 'writeQuorum' | 'readQuorum'> {
  const replicas = Math.max(1, Math.min(3, dataNodes));
  const majority = Math.floor(replicas / 2) + 1;
  return { replicas, writeQuorum: majority, readQuorum: majority };
}

/**
 * Starts a whole stack on loopback under one supervisor: tier by tier, each process ready before the next
 * tier starts. Resolves once everything is ready, with the endpoints, keys and process handles; rejects
 * (having stopped whatever it started) when a process cannot be brought up, naming it and its log file.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const definition = options.definition ?? REDOUBT_STACK;
  const home = resolve(options.home);
  const paths = homePaths(home);
  const shape = {
    dataNodes: options.dataNodes ?? 3,
    gateways: options.gateways ?? 2,
    worker: options.worker ?? true,
    backups: options.backups ?? false,
    instances: options.instances,
    redis: options.redis ?? 'single',
  };
  const counts = instanceCounts(definition, shape);
  // Data nodes added to an earlier run hold partitions: they start again (unless --fresh forgets them).
  const added = options.fresh ? [] : addedDataNodes(home);
  const log = logWriter(options.log ?? 'ignore');

  const keys: StackKeys = {
    apiKey: options.keys?.apiKey ?? generateSecret(),
    adminKey: options.keys?.adminKey ?? generateSecret(),
    clusterToken: options.keys?.clusterToken ?? generateSecret(),
  };
  for (const [name, value] of Object.entries(keys)) {
    if (value.length < 16)
      throw new RedoubtError('INVALID_ARGUMENT', `keys.${name} must be at least 16 characters`);
  }

  // Which components run, and whether their programs exist, before touching anything on disk.
  const skipped: string[] = [];
  const planned: { component: ComponentDefinition; indices: number[] }[] = [];
  for (const [component, count] of counts) {
    const indices = Array.from({ length: count }, (_, i) => i + 1);
    if (component.role === 'data')
      for (const index of added) if (index > count && index <= component.maxInstances) indices.push(index);
    if (indices.length === 0) continue;
    if ('app' in component.run && !existsSync(appEntry(component.run.app))) {
      if (component.optional) {
        skipped.push(component.role);
        log.stack(
          `${component.role}: apps/${component.run.app}/src/main.ts does not exist yet; not started`,
          'warn',
        );
        continue;
      }
      throw new RedoubtError(
        'CONFIG_INVALID',
        `${component.role}: apps/${component.run.app}/src/main.ts does not exist; the stack cannot start without it`,
      );
    }
    if ('command' in component.run && component.run.command === 'redis-server') assertRedisServerAvailable();
    planned.push({ component, indices });
  }

  const dataNodes = planned.find((p) => p.component.role === 'data')?.indices.length ?? 0;
  const settings: ClusterSettings = {
    partitions: options.partitions ?? 4096,
    queuePrefix: options.queuePrefix ?? 'redoubt',
    logLevel: options.logLevel ?? 'info',
    ...defaultReplicas(dataNodes),
  };

  ensureHome(home);
  const release = acquireHomeLock(home);
  const logStreams: WriteStream[] = [];
  try {
    const leftovers = await stopLeftovers(home);
    if (leftovers.length > 0)
      log.stack(
        `stopped ${leftovers.length} processes a previous run left behind (pids ${leftovers.join(', ')})`,
        'warn',
      );
    if (options.fresh) {
      const removed = wipeState(home, definition.stateRoots);
      log.stack(
        removed.length > 0
          ? `--fresh: deleted the stored state of earlier runs: ${removed.join(', ')}`
          : `--fresh: nothing stored in ${home} yet`,
        'warn',
      );
    }
    checkClusterIdentity(home, settings.partitions);
    mkdirSync(paths.logs, { recursive: true });

    // Ports: as configured, else free ones; every fixed port must be free now (a clear error beats a crash loop).
    const instances: StackInstance[] = [];
    const taken = new Set<number>();
    const fixedPorts = new Set<string>();
    // A port given for the process, else the next after its first instance's given port (the layout's rule).
    const fixedPortOf = (component: ComponentDefinition, index: number): number => {
      const given = options.ports?.[component.name(index)];
      if (given) return given;
      const first = index > 1 ? options.ports?.[component.name(1)] : undefined;
      return first ? first + index - 1 : 0;
    };
    const instanceOf = (component: ComponentDefinition, index: number, port: number): StackInstance => ({
      role: component.role,
      index,
      name: component.name(index),
      id: component.id(index),
      port,
      url: `${component.scheme}://127.0.0.1:${port}`,
      dir: component.stateDir ? join(home, component.stateDir(index)) : undefined,
      log: join(paths.logs, `${component.name(index)}.log`),
    });
    for (const { component, indices } of planned) {
      for (const index of indices) {
        const name = component.name(index);
        const fixed = fixedPortOf(component, index);
        if (fixed !== 0) fixedPorts.add(name);
        if (fixed !== 0 && taken.has(fixed))
          throw new RedoubtError(
            'CONFIG_INVALID',
            `port ${fixed} is given to ${name} and to another process`,
          );
        let port = fixed;
        while (port === 0 || taken.has(port)) port = await freePort();
        taken.add(port);
        instances.push(instanceOf(component, index, port));
      }
    }
    const busy: StackInstance[] = [];
    for (const instance of instances) {
      if (fixedPorts.has(instance.name) && !(await portFree(instance.port))) busy.push(instance);
    }
    if (busy.length > 0)
      throw new RedoubtError(
        'CONFIG_INVALID',
        `ports already in use on 127.0.0.1: ${busy.map((i) => `${i.port} (${i.name})`).join(', ')}`,
        { busy: busy.map((i) => i.name) },
      );

    const byRole = (role: string) => instances.filter((i) => i.role === role);
    const sentinels = byRole('redis-sentinel');
    const redisTarget: RedisTarget =
      shape.redis === 'sentinel' && sentinels.length > 0
        ? {
            kind: 'sentinel',
            name: SENTINEL_MASTER_NAME,
            sentinels: sentinels.map((i) => ({ host: '127.0.0.1', port: i.port })),
          }
        : { kind: 'single', url: byRole('redis')[0]?.url ?? '' };
    const redisUrl = redisTarget.kind === 'single' ? redisTarget.url : '';
    const clusterEnv = (): Record<string, string> => ({
      CLUSTER_TOKEN: keys.clusterToken,
      ADMIN_KEY: keys.adminKey,
      DATA_NODES: byRole('data')
        .map((i) => `${i.id}=${i.url}`)
        .join(','),
      ...redisEnvOf(redisTarget),
      QUEUE_PREFIX: settings.queuePrefix,
      PARTITIONS: String(settings.partitions),
      REPLICAS: String(settings.replicas),
      WRITE_QUORUM: String(settings.writeQuorum),
      READ_QUORUM: String(settings.readQuorum),
      LOG_LEVEL: settings.logLevel,
    });
    const context: StackContext = {
      home,
      keys,
      settings,
      instances,
      controlUrl: options.controlUrl,
      shape,
      byRole,
      clusterEnv,
      objectStoreKeys: {
        accessKeyId: `RDB${randomBytes(10).toString('hex').toUpperCase()}`,
        secretAccessKey: generateSecret(),
      },
    };
    const backups = definition.backups?.(context);

    const libfaketime = options.clockFaults ? findLibfaketime() : undefined;
    if (options.clockFaults && !libfaketime)
      throw new RedoubtError('CONFIG_INVALID', 'clock faults need libfaketime: apt-get install -y faketime');
    // Offset files of an earlier run with clock faults would tell a chaos run it can skew clocks it cannot.
    if (!options.clockFaults) rmSync(clockDirOf(home), { recursive: true, force: true });
    const supervisor = new Supervisor({
      restartPolicy: options.restartPolicy,
      stopGraceMs: options.stopGraceMs,
    });
    const supervise = (component: ComponentDefinition, instance: StackInstance): SupervisedProcess => {
      if (instance.dir) mkdirSync(instance.dir, { recursive: true });
      const file = createWriteStream(instance.log, { flags: 'w', mode: 0o600 });
      logStreams.push(file);
      const run = component.run;
      const service = new ServiceProcess({
        name: instance.name,
        ...('app' in run ? { app: run.app } : { command: run.command, args: run.args(instance, context) }),
        env: { ...component.env(instance, context), ...clockFaultEnv(home, instance, libfaketime) },
        ...(component.readiness === 'http'
          ? { readyUrl: `${instance.url}/readyz` }
          : { readyPort: instance.port }),
        readyTimeoutMs: options.readyTimeoutMs,
        detached: true,
        log: (line, stream) => {
          file.write(line + '\n');
          log.child(instance.name, line, stream);
        },
      });
      return supervisor.add(service, {
        role: component.role,
        tier: component.tier,
        restartPolicy: component.restartPolicy?.(shape),
      });
    };
    for (const { component } of planned)
      for (const instance of byRole(component.role)) supervise(component, instance);

    options.onSupervisor?.(supervisor);
    const startedAt = new Date().toISOString();
    let phase: StackFile['state'] = 'starting';
    let closed = false;
    const describe = (): StackFile => {
      const endpoints = (role: string) => byRole(role).map((i) => ({ id: i.id, name: i.name, url: i.url }));
      return {
        version: 1,
        home,
        state: phase,
        startedAt,
        updatedAt: new Date().toISOString(),
        supervisor: {
          pid: process.pid,
          pidStartTime: processStartTime(process.pid) ?? null,
          control: options.controlUrl ?? null,
        },
        keys,
        cluster: settings,
        redis:
          redisTarget.kind === 'single'
            ? { url: redisTarget.url }
            : {
                url: '',
                sentinels: redisEnvOf(redisTarget).REDIS_SENTINELS,
                sentinelName: redisTarget.name,
              },
        dataNodes: endpoints('data'),
        gateways: endpoints('gateway'),
        ...(backups ? { backups } : {}),
        processes: instances.flatMap((instance) => {
          const member = supervisor.find(instance.name);
          if (!member) return [];
          const status = member.status();
          return {
            name: instance.name,
            role: instance.role,
            id: instance.id,
            pid: status.pid,
            pidStartTime: status.pid ? (processStartTime(status.pid) ?? null) : null,
            state: status.state,
            restarts: status.restarts,
            port: instance.port,
            url: instance.url,
            dir: instance.dir ?? null,
            log: instance.log,
          };
        }),
      };
    };
    let pendingWrite: NodeJS.Timeout | undefined;
    const writeNow = () => {
      pendingWrite = undefined;
      if (!closed) writeStackFile(paths.stackFile, describe());
    };
    const scheduleWrite = () => {
      pendingWrite ??= setTimeout(writeNow, 50);
    };
    supervisor.on((event) => {
      if (event.type === 'state') scheduleWrite();
      log.event(event, instances);
    });
    writeNow();

    const finish = async () => {
      closed = true;
      if (pendingWrite) clearTimeout(pendingWrite);
      rmSync(paths.stackFile, { force: true });
      await Promise.all(logStreams.map((s) => new Promise<void>((r) => s.end(() => r()))));
      release();
    };

    try {
      await supervisor.startAll();
      if (redisTarget.kind === 'sentinel') {
        log.stack('waiting for the sentinels to see the master and its replica', 'info');
        await waitForSentinelGroup({
          sentinels: redisTarget.sentinels.map((s) => s.port),
          servers: [...byRole('redis'), ...byRole('redis-replica')].map((i) => i.port),
          name: redisTarget.name,
        });
      }
    } catch (error) {
      await supervisor.stop();
      await finish();
      const name = (error as RedoubtError).details?.name;
      const where = typeof name === 'string' ? ` (its log: ${join(paths.logs, `${name}.log`)})` : '';
      throw new RedoubtError(
        'REPLICA_UNAVAILABLE',
        `the stack did not start: ${(error as Error).message}${where}`,
        {
          name: typeof name === 'string' ? name : null,
        },
      );
    }
    phase = 'running';
    writeNow();
    log.stack(`all ${instances.length} processes are ready`, 'info');

    let stopping: Promise<void> | undefined;
    const endpoint = (i: StackInstance): StackEndpoint => ({ id: i.id, name: i.name, url: i.url });
    const dataComponent = definition.components.find((c) => c.role === 'data');
    // One change of the data tier at a time: two adds must not pick the same index or port.
    let changing: Promise<unknown> = Promise.resolve();
    const serially = <T>(change: () => Promise<T>): Promise<T> => {
      const next = changing.then(change);
      changing = next.catch(() => undefined);
      return next;
    };
    const addDataNode = async (id?: string) => {
      if (!dataComponent) throw new RedoubtError('CONFIG_INVALID', 'this stack has no data nodes to add to');
      if (phase !== 'running' || stopping)
        throw new RedoubtError('FAULT_REFUSED', `the stack is ${stopping ? 'stopping' : phase}`);
      const running = byRole('data');
      const index = id
        ? dataNodeIndex(id, dataComponent.maxInstances)
        : Math.max(0, ...running.map((i) => i.index)) + 1;
      if (index > dataComponent.maxInstances)
        throw new RedoubtError(
          'INVALID_ARGUMENT',
          `the local stack runs at most ${dataComponent.maxInstances} data nodes`,
        );
      let instance = running.find((i) => i.index === index);
      if (!instance) {
        let port = fixedPortOf(dataComponent, index);
        if (port !== 0 && (instances.some((i) => i.port === port) || !(await portFree(port))))
          throw new RedoubtError(
            'CONFIG_INVALID',
            `port ${port} for ${dataComponent.name(index)} is in use on 127.0.0.1; stop what uses it or add another index`,
            { port },
          );
        while (port === 0 || instances.some((i) => i.port === port)) port = await freePort();
        instance = instanceOf(dataComponent, index, port);
        instances.push(instance);
        supervise(dataComponent, instance);
        log.stack(`adding data node ${instance.id} (${instance.name}) on ${instance.url}`, 'info');
      }
      const member = supervisor.get(instance.name);
      if (member.status().state !== 'running') await member.perform('start');
      recordAddedDataNode(home, index);
      scheduleWrite();
      return { ...endpoint(instance), port: instance.port, dir: instance.dir ?? '' };
    };
    const retireDataNode = async (id: string) => {
      if (!dataComponent) throw new RedoubtError('CONFIG_INVALID', 'this stack has no data nodes');
      const index = dataNodeIndex(id, dataComponent.maxInstances);
      const instance = byRole('data').find((i) => i.index === index);
      if (!instance) throw new RedoubtError('NODE_NOT_FOUND', `no data node ${id} in this stack`, { id });
      if (!addedDataNodes(home).includes(index))
        throw new RedoubtError(
          'FAULT_REFUSED',
          `${id} is one of the data nodes the stack starts with (--data-nodes); only nodes added at run time are retired`,
          { id },
        );
      instances.splice(instances.indexOf(instance), 1);
      await supervisor.remove(instance.name);
      forgetAddedDataNode(home, index);
      scheduleWrite();
      log.stack(`retired data node ${id}; its directory ${instance.dir} is kept`, 'info');
    };
    return {
      home,
      stackFile: paths.stackFile,
      keys,
      settings,
      redisUrl,
      redis: redisTarget,
      get dataNodes() {
        return byRole('data').map(endpoint);
      },
      gateways: byRole('gateway').map(endpoint),
      instances,
      skipped,
      clusterEnv: clusterEnv(),
      supervisor,
      process: (name) => supervisor.get(name),
      processes: () => supervisor.processes(),
      addDataNode: (id) => serially(() => addDataNode(id)),
      retireDataNode: (id) => serially(() => retireDataNode(id)),
      stop: () =>
        (stopping ??= (async () => {
          phase = 'stopping';
          writeNow();
          log.stack('stopping: gateways and workers, then data nodes, then redis', 'info');
          await supervisor.stop();
          await finish();
          log.stack('stopped', 'info');
        })()),
    };
  } catch (error) {
    for (const stream of logStreams) stream.end();
    release();
    throw error;
  }
}

/** Turns child output and supervisor events into log entries for the chosen sink. */
function logWriter(target: NonNullable<LocalStackOptions['log']>) {
  const emit = (entry: StackLogEntry) => {
    if (target === 'ignore') return;
    if (typeof target === 'function') return target(entry);
    process.stdout.write(`[${entry.service}] ${entry.line}\n`);
  };
  return {
    child: (service: string, line: string, stream: 'stdout' | 'stderr') =>
      emit({ service, stream, level: stream === 'stderr' ? 'warn' : 'info', line }),
    stack: (line: string, level: StackLogEntry['level']) =>
      emit({ service: 'stack', stream: 'stack', level, line }),
    event: (event: SupervisorEvent, instances: readonly StackInstance[]) => {
      const logOf = (name: string) => instances.find((i) => i.name === name)?.log ?? '';
      switch (event.type) {
        case 'state':
          if (event.state === 'running')
            emit({
              service: 'stack',
              stream: 'stack',
              level: 'info',
              line: `${event.name} is up (pid ${event.pid})`,
            });
          return;
        case 'crashed':
          emit({
            service: 'stack',
            stream: 'stack',
            level: 'warn',
            line: `${event.name} crashed: ${event.reason} (${event.consecutive} in a row)`,
          });
          return;
        case 'restart-scheduled':
          emit({
            service: 'stack',
            stream: 'stack',
            level: 'warn',
            line: `${event.name}: restarting in ${event.delayMs} ms (attempt ${event.attempt})`,
          });
          return;
        case 'gave-up':
          emit({
            service: 'stack',
            stream: 'stack',
            level: 'error',
            line:
              `GAVE UP on ${event.name}: it crashed ${event.crashes} times in a row, each within ` +
              `${Math.round(event.windowMs / 1000)} s of starting (last: ${event.reason}). It stays down; ` +
              `see ${logOf(event.name)}, then restart it (POST /v1/processes/${event.name}/start) or the stack.`,
          });
          return;
      }
    },
  };
}
