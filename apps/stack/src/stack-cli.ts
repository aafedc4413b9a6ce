import { Command, InvalidArgumentError, Option } from 'commander';

export interface StackFlags {
  fresh: boolean;
  dataNodes: number;
  gateways: number;
  worker: boolean;
  monitors: number;
  redis: 'single' | 'sentinel';
  quiet: boolean;
  rawLogs: boolean;
}

function count(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return Number(value);
  };
}

const environmentHelp = `
Environment (all optional; docs/local-stack.md):
  REDOUBT_HOME            state, logs and stack.json (default <repo>/.redoubt)
  REDOUBT_API_KEY         client API key        } generated for each run
  REDOUBT_ADMIN_KEY       admin / control key   } unless given (>= 16
  REDOUBT_CLUSTER_TOKEN   service-to-service    } characters)
  REDOUBT_BASE_PORT       lay every port out from here (0: any free ports)
  REDOUBT_REDIS_PORT, REDOUBT_REDIS_REPLICA_PORT, REDOUBT_SENTINEL_PORT, REDOUBT_DATA_PORT, REDOUBT_GATEWAY_PORT, REDOUBT_WORKER_PORT, REDOUBT_MONITOR_PORT,
  REDOUBT_CONTROL_PORT    the port of one service (the first instance of it)
  REDOUBT_PARTITIONS      partition count, fixed for the data's life (default 4096)
  LOG_LEVEL               the services' log level (default info)`;

/** `npm start -- <flags>`; parse errors print the usage and exit 1 (commander's behaviour). */
export function parseStackFlags(argv: string[]): StackFlags {
  const program = new Command('npm start --')
    .description('Runs the whole of redoubt on this machine: redis-server, data nodes, gateways, workers.')
    .option('--fresh', 'delete the data earlier runs stored in REDOUBT_HOME before starting', false)
    .option('--data-nodes <n>', 'number of data nodes', count(1, 30), 3)
    .option('--gateways <n>', 'number of gateways', count(1, 10), 2)
    .option('--no-worker', 'do not start the backup-worker')
    .option('--monitors <n>', 'number of monitors (0 = none; more than one elect a leader)', count(0, 3), 1)
    .addOption(
      new Option(
        '--redis <mode>',
        'single: one redis-server; sentinel: a master, a replica and three sentinels (automatic failover)',
      )
        .choices(['single', 'sentinel'])
        .default('single'),
    )
    .option('--quiet', "keep the services' logs in their files only (<home>/logs/<name>.log)", false)
    .option('--raw-logs', "print the services' JSON log lines as they are", false)
    .addHelpText('after', environmentHelp)
    .allowExcessArguments(false)
    .parse(argv, { from: 'user' });
  return program.opts<StackFlags>();
}
