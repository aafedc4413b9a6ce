import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  buildSchedule,
  ChaosMetrics,
  environmentFromEnv,
  environmentFromStackFile,
  findK6,
  GrafanaAnnotator,
  loadScenarioFile,
  resolveScenarioPath,
  runScenario,
  type ChaosEnvironment,
} from '@redoubt/chaos';
import { isRedoubtError, RedoubtError } from '@redoubt/errors';
import { REPO_ROOT } from '@redoubt/local-stack';
import { createDriver } from './driver-factory.js';

/** Exit codes: the run's verdict, or why it could not run. */
export const EXIT = { pass: 0, fail: 1, invalid: 2, error: 3, interrupted: 130 } as const;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT (main.ts wires it). */
  signal?: AbortSignal;
}

function seedOption(value: string): number | string {
  if (value.trim() === '') throw new InvalidArgumentError('a seed is a number or a word');
  return /^-?\d+$/.test(value) ? Number(value) : value;
}

function portOption(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError('a port is 0..65535');
  return port;
}

function portFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  return env.CHAOS_METRICS_PORT ? portOption(env.CHAOS_METRICS_PORT) : undefined;
}

/** The compiled script when it was built (any k6), else the TypeScript (k6 0.57+ runs it as is). */
function k6Script(): string {
  const compiled = join(REPO_ROOT, 'chaos', 'k6', 'dist', 'load.js');
  return existsSync(compiled) ? compiled : join(REPO_ROOT, 'chaos', 'k6', 'load.ts');
}

function defaultStackFile(env: NodeJS.ProcessEnv): string {
  return join(env.REDOUBT_HOME ? resolve(env.REDOUBT_HOME) : join(REPO_ROOT, '.redoubt'), 'stack.json');
}

function environmentFor(
  driver: 'local' | 'docker' | 'swarm',
  stackFile: string,
  env: NodeJS.ProcessEnv,
): ChaosEnvironment {
  return driver === 'local' ? environmentFromStackFile(stackFile) : environmentFromEnv(env);
}

/** Builds the `chaos` program; `exit` receives the code instead of the process exiting (testable). */
export function createChaosCli(io: CliIo, exit: (code: number) => void): Command {
  const program = new Command('chaos')
    .description(
      'Chaos scenarios against redoubt: load, faults, and proof that nothing acknowledged was lost.',
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program
    .command('run')
    .description('run a scenario (a file, or a name from chaos/scenarios) against a running stack')
    .argument('<scenario>', 'e.g. local-smoke, or path/to/scenario.yaml')
    .addOption(
      new Option(
        '--driver <driver>',
        'local: npm start (stack.json); docker: compose containers; swarm: the tasks of a stack',
      ).choices(['local', 'docker', 'swarm']),
    )
    .option('--seed <seed>', 'replay a schedule: overrides the scenario seed', seedOption)
    .option('--stack-file <path>', 'stack.json of the local stack', defaultStackFile(io.env))
    .option(
      '--project <name>',
      'compose project (docker driver) or stack (swarm driver)',
      io.env.COMPOSE_PROJECT_NAME ?? io.env.COMPOSE_PROJECT,
    )
    .option(
      '--reports <dir>',
      'where run folders go',
      io.env.CHAOS_REPORTS_DIR ?? join(REPO_ROOT, 'chaos', 'reports'),
    )
    .addOption(
      new Option('--load <engine>', 'override the scenario load engine').choices(['auto', 'k6', 'builtin']),
    )
    .option(
      '--metrics-port <port>',
      "serve the run's Prometheus metrics on this port (0.0.0.0)",
      portOption,
      portFromEnv(io.env),
    )
    .action(
      async (
        name: string,
        options: {
          driver?: 'local' | 'docker' | 'swarm';
          seed?: number | string;
          stackFile: string;
          project?: string;
          reports: string;
          load?: 'auto' | 'k6' | 'builtin';
          metricsPort?: number;
        },
      ) => {
        const scenario = loadScenarioFile(resolveScenarioPath(name, REPO_ROOT));
        if (options.load) scenario.load.engine = options.load;
        const driverKind = options.driver ?? scenario.driver ?? 'local';
        const environment = environmentFor(driverKind, options.stackFile, io.env);
        const driver = createDriver(environment, {
          kind: driverKind,
          project: options.project,
          dockerSocket: io.env.DOCKER_SOCKET,
        });
        const k6 = scenario.load.engine === 'builtin' ? undefined : findK6(io.env, k6Script());
        if (scenario.load.engine === 'k6' && !k6)
          throw new RedoubtError(
            'CONFIG_INVALID',
            'the scenario wants k6, but there is no k6 on PATH and no CHAOS_K6_COMMAND',
          );
        const metrics = options.metricsPort !== undefined ? new ChaosMetrics() : undefined;
        const served =
          metrics && options.metricsPort !== undefined ? await metrics.serve(options.metricsPort) : undefined;
        if (served) io.out(`chaos | metrics on :${served.port}/metrics`);
        try {
          const result = await runScenario({
            scenario,
            seed: options.seed,
            environment,
            driver,
            reportRoot: options.reports,
            k6,
            annotator: GrafanaAnnotator.fromEnv(io.env),
            log: (line) => io.out(`chaos | ${line}`),
            signal: io.signal,
            metrics,
          });
          const w = result.report.writes;
          io.out(
            `${result.report.verdict.toUpperCase()}: ${w.acknowledged} acknowledged, ${w.lost} lost, ${w.unknown} unknown ` +
              `(${w.recoveredUnknown} applied), ${w.unexpected} unexpected; report ${result.files.json}`,
          );
          exit(
            io.signal?.aborted ? EXIT.interrupted : result.report.verdict === 'pass' ? EXIT.pass : EXIT.fail,
          );
        } finally {
          await driver.close();
          await served?.close();
        }
      },
    );

  program
    .command('validate')
    .description('check scenario files (exit 2 naming the wrong fields)')
    .argument('<scenarios...>')
    .action((names: string[]) => {
      for (const name of names) {
        const path = resolveScenarioPath(name, REPO_ROOT);
        const scenario = loadScenarioFile(path);
        io.out(
          `${path}: ok (${scenario.name}, ${scenario.faults.length} faults${scenario.random ? ` + ${scenario.random.count} random` : ''})`,
        );
      }
      exit(EXIT.pass);
    });

  program
    .command('schedule')
    .description('print the fault schedule a scenario and seed give (what a run would do), as JSON')
    .argument('<scenario>')
    .option('--seed <seed>', 'the seed (default: the scenario seed, else 0)', seedOption)
    .action((name: string, options: { seed?: number | string }) => {
      const scenario = loadScenarioFile(resolveScenarioPath(name, REPO_ROOT));
      const seed = options.seed ?? scenario.seed ?? 0;
      io.out(
        JSON.stringify({ scenario: scenario.name, seed, faults: buildSchedule(scenario, seed) }, null, 2),
      );
      exit(EXIT.pass);
    });

  program
    .command('heal')
    .description(
      'resume, reconnect and start everything of the stack that a run left paused, cut off or down',
    )
    .addOption(new Option('--driver <driver>').choices(['local', 'docker', 'swarm']).default('local'))
    .option('--stack-file <path>', 'stack.json of the local stack', defaultStackFile(io.env))
    .option(
      '--project <name>',
      'compose project (docker driver) or stack (swarm driver)',
      io.env.COMPOSE_PROJECT_NAME ?? io.env.COMPOSE_PROJECT,
    )
    .action(
      async (options: { driver: 'local' | 'docker' | 'swarm'; stackFile: string; project?: string }) => {
        const driver = createDriver(environmentFor(options.driver, options.stackFile, io.env), {
          kind: options.driver,
          ...options,
          dockerSocket: io.env.DOCKER_SOCKET,
        });
        await driver.inventory();
        const done = await driver.healAll();
        io.out(done.length > 0 ? done.join('\n') : 'nothing to heal');
        exit(EXIT.pass);
      },
    );

  return program;
}

/** Runs the CLI: the exit code, with every RedoubtError turned into a message and its code. */
export async function runChaosCli(argv: readonly string[], io: CliIo): Promise<number> {
  let code: number = EXIT.pass;
  const program = createChaosCli(io, (c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (isRedoubtError(error)) {
      io.err(`chaos: ${error.code}: ${error.message}`);
      return error.kind === 'invalid' ? EXIT.invalid : EXIT.error;
    }
    const commanderError = error as { code?: string; exitCode?: number; message?: string };
    if (typeof commanderError.code === 'string' && commanderError.code.startsWith('commander.')) {
      return commanderError.exitCode === 0 ? EXIT.pass : EXIT.invalid;
    }
    io.err(`chaos: ${(error as Error).stack ?? String(error)}`);
    return EXIT.error;
  }
}
