import { createInterface } from 'node:readline/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { RedoubtError } from '@redoubt/errors';
import { fromJSON, replicasOf } from '@redoubt/placement';
import type { ChangePreview, ClusterStatus } from '@redoubt/recovery';
import {
  renderPlacement,
  renderPreview,
  renderStatus,
  type PlacementView,
} from './cluster/cluster-tables.js';
import { backupHealth, renderBackupHealth } from './cluster/backup-health.js';
import { LocalSupervisor } from './cluster/local-supervisor.js';
import { MonitorClient } from './cluster/monitor-client.js';
import { resolveMonitorTarget } from './cluster/monitor-target.js';

interface TargetFlags {
  monitor?: string;
  adminKey?: string;
  json?: boolean;
}

/** A change was previewed but not applied (no --yes, not confirmed): exit status 2. */
class NotApplied extends Error {
  readonly exitCode = 2;
}

function withTarget(command: Command): Command {
  return command
    .option('--monitor <url>', 'the monitor (default: $REDOUBT_MONITOR_URL, else the running local stack)')
    .option('--admin-key <key>', 'the admin key (default: $REDOUBT_ADMIN_KEY, else the running local stack)');
}

function clientFor(command: Command): { client: MonitorClient; json: boolean } {
  const flags = command.optsWithGlobals<TargetFlags>();
  return { client: new MonitorClient(resolveMonitorTarget(flags)), json: Boolean(flags.json) };
}

function print(json: boolean, value: unknown, text: () => string): void {
  if (json) process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  else process.stdout.write(text());
}

const partitionNumber = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a partition number (0, 1, ...)');
  return n;
};
const positiveNumber = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};

/** What every membership change sends besides its own fields: the epoch previewed, and `force`. */
interface ChangeGuard {
  expectedEpoch: number;
  force: boolean;
}

type ApplyChange = (
  client: MonitorClient,
  guard: ChangeGuard,
) => Promise<{ epoch: number; preview: ChangePreview | null }>;

/** Shows the preview, asks (or requires --yes), then applies the change on the epoch that was previewed. */
async function previewThenApply(
  command: Command,
  plan: Record<string, unknown>,
  apply: ApplyChange,
  flags: { yes?: boolean; force?: boolean },
): Promise<void> {
  const { client, json } = clientFor(command);
  const { preview } = await client.post<{ preview: ChangePreview }>('/v1/placement/plan', plan);
  if (!json) process.stdout.write(renderPreview(preview));
  let confirmed = Boolean(flags.yes);
  if (!confirmed && !json && process.stdin.isTTY && process.stdout.isTTY) {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    confirmed = /^y(es)?$/i.test((await rl.question('\nApply this change? [y/N] ')).trim());
    rl.close();
  }
  if (!confirmed) {
    if (json) process.stdout.write(JSON.stringify({ applied: false, preview }, null, 2) + '\n');
    throw new NotApplied('not applied; run again with --yes to apply it');
  }
  const result = await apply(client, { expectedEpoch: preview.fromEpoch, force: Boolean(flags.force) });
  print(
    json,
    { applied: true, ...result },
    () =>
      `\napplied: placement epoch ${result.epoch}${result.preview ? `, ${result.preview.moves} moves queued` : ''}; follow it with: redoubt status\n`,
  );
}

/** `redoubt status`, `redoubt placement show|plan`, `redoubt node drain|add|remove`: the monitor's API on the command line. */
export function registerClusterCommands(program: Command): void {
  withTarget(
    program
      .command('status')
      .description(
        'cluster status: nodes, services, placement epoch, redundancy, queues, recent recovery events',
      )
      .option('--events <n>', 'recent events to show', (v) => Math.max(0, Number(v) || 0), 10),
  ).action(async (options: { events: number }, command: Command) => {
    const { client, json } = clientFor(command);
    const status = await client.get<ClusterStatus>(`/v1/cluster?events=${options.events}`);
    const backups = (await backupHealth()) ?? null;
    print(
      json,
      { ...status, backups },
      () =>
        `${renderStatus({ ...status, events: status.events.slice(0, options.events) })}\n${renderBackupHealth(backups ?? undefined)}`,
    );
  });

  const placement = program.command('placement').description('the placement matrix: show it, plan a change');
  withTarget(
    placement
      .command('show')
      .description('the current epoch: servers, zones, weights, replicas per server')
      .option('--partition <p>', 'also show the replicas of one partition', partitionNumber),
  ).action(async (options: { partition?: number }, command: Command) => {
    const { client, json } = clientFor(command);
    const view = await client.get<PlacementView>('/v1/placement');
    const one =
      options.partition === undefined
        ? undefined
        : { partition: options.partition, replicas: replicasOf(fromJSON(view.placement), options.partition) };
    print(json, one ? { ...view, partition: one } : view, () => renderPlacement(view, one));
  });
  withTarget(
    placement
      .command('plan')
      .description(
        'preview a change without applying it: partitions and bytes to move, time, exposure below R',
      )
      .argument('<action>', 'drain | remove | add')
      .argument('<node>', 'node id')
      .option(
        '--zone <zone>',
        "add: the failure domain of the new node (default: its id; on Kubernetes, its pod's zone)",
      )
      .option('--weight <w>', 'add: its capacity weight', positiveNumber),
  ).action(
    async (action: string, node: string, options: { zone?: string; weight?: number }, command: Command) => {
      if (!['drain', 'remove', 'add'].includes(action))
        throw new RedoubtError('INVALID_ARGUMENT', `unknown action "${action}"; use drain, remove or add`);
      const { client, json } = clientFor(command);
      const { preview } = await client.post<{ preview: ChangePreview }>('/v1/placement/plan', {
        action,
        node,
        ...options,
      });
      print(json, preview, () => renderPreview(preview));
    },
  );

  const node = program
    .command('node')
    .description('membership changes (previewed first; applied with --yes or after confirmation)');
  // the changes that take nothing but the node id
  const idOnlyChanges = [
    {
      name: 'drain',
      description: 'move every partition off a data node (it stays a member, holding nothing)',
      apply:
        (id: string): ApplyChange =>
        (client, guard) =>
          client.post(`/v1/nodes/${encodeURIComponent(id)}/drain`, guard),
    },
    {
      name: 'remove',
      description: 'decommission a data node: drain it, then forget it',
      apply:
        (id: string): ApplyChange =>
        (client, guard) =>
          client.delete(`/v1/nodes/${encodeURIComponent(id)}`, guard),
    },
  ] as const;
  for (const change of idOnlyChanges) {
    const command = withTarget(
      node
        .command(change.name)
        .description(change.description)
        .argument('<id>', 'node id')
        .option('-y, --yes', 'apply without asking')
        .option('--force', 'apply even while moves of an earlier change are pending'),
    );
    if (change.name === 'remove')
      command.option(
        '--stop',
        'local stack (npm start): once the node is drained and forgotten, stop its process for good',
      );
    command.action(
      async (id: string, flags: { yes?: boolean; force?: boolean; stop?: boolean }, cmd: Command) => {
        // Refuse before changing anything when --stop has no local stack to stop the node in.
        const local = flags.stop ? LocalSupervisor.find() : undefined;
        await previewThenApply(cmd, { action: change.name, node: id }, change.apply(id), flags);
        if (local) await stopWhenForgotten(cmd, local, id);
      },
    );
  }
  withTarget(
    node
      .command('add')
      .description('add a data node and move its share of partitions to it')
      .argument('<id>', 'node id')
      .option('--url <url>', 'where the running node listens, e.g. http://redoubt-data-3.redoubt-data:7101')
      .option(
        '--start',
        'local stack (npm start): start the node first, supervised (id d<n>, its port and directory), then add it',
      )
      .option('--zone <zone>', "its failure domain (default: its id; on Kubernetes, its pod's zone)")
      .option('--weight <w>', 'its capacity weight (default 1)', positiveNumber)
      .option('-y, --yes', 'apply without asking')
      .option('--force', 'apply even while moves of an earlier change are pending'),
  ).action(
    async (
      id: string,
      flags: {
        url?: string;
        start?: boolean;
        zone?: string;
        weight?: number;
        yes?: boolean;
        force?: boolean;
      },
      command: Command,
    ) => {
      if (Boolean(flags.url) === Boolean(flags.start))
        throw new RedoubtError(
          'INVALID_ARGUMENT',
          flags.url
            ? '--url and --start exclude each other: --start makes the local stack start the node and knows its URL'
            : 'give --url <url> of a running data node, or --start to have the local stack (npm start) start it',
        );
      if (flags.start) LocalSupervisor.checkId(id);
      const local = flags.start ? LocalSupervisor.find() : undefined;
      const json = Boolean(command.optsWithGlobals<TargetFlags>().json);
      await previewThenApply(
        command,
        { action: 'add', node: id, zone: flags.zone, weight: flags.weight },
        async (client, guard) => {
          // Started only once the change is confirmed: a preview alone changes nothing anywhere.
          const started = local ? await local.startDataNode(id) : undefined;
          if (started && !json)
            process.stdout.write(
              `\nstarted ${started.id} (process ${started.name}) on ${started.url}, data in ${started.dir}; ` +
                'supervised, and started again by every later npm start\n',
            );
          const url = started?.url ?? flags.url!;
          const result = await client.post<{ epoch: number; preview: ChangePreview | null }>('/v1/nodes', {
            id,
            url,
            zone: flags.zone,
            weight: flags.weight,
            ...guard,
          });
          return { ...result, ...(started ? { started } : {}) };
        },
        flags,
      );
    },
  );
}

/**
 * `node remove --stop`: the removal drains the node first (moves, then forget); its process is stopped only
 * once the monitor no longer lists it, so no replica is lost with it.
 */
async function stopWhenForgotten(command: Command, local: LocalSupervisor, id: string): Promise<void> {
  const { client, json } = clientFor(command);
  let shown = -1;
  for (;;) {
    const status = await client.get<ClusterStatus>('/v1/cluster?events=0');
    if (!status.nodes.some((n) => n.id === id)) break;
    const pending = status.redundancy.pendingMoves;
    if (pending !== shown && !json)
      process.stdout.write(`waiting for ${id} to be drained: ${pending} moves pending\n`);
    shown = pending;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  await local.retireDataNode(id);
  print(json, { retired: id }, () => `${id} is drained and forgotten; its process is stopped for good\n`);
}
