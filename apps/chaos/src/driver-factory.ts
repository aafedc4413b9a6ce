import {
  ControlApiClient,
  DockerFaultDriver,
  LocalFaultDriver,
  SwarmFaultDriver,
  type ChaosEnvironment,
  type FaultDriver,
} from '@redoubt/chaos';
import Docker from 'dockerode';
import { RedoubtError } from '@redoubt/errors';

/**
 * The fault driver for an environment: the supervisor's control API (local), or the Docker Engine with the
 * containers of a compose project (docker) or the tasks of a Swarm stack (swarm, `kind`).
 */
export function createDriver(
  environment: ChaosEnvironment,
  options: {
    kind?: 'local' | 'docker' | 'swarm' | undefined;
    project?: string | undefined;
    dockerSocket?: string | undefined;
    clockDir?: string | undefined;
  },
): FaultDriver {
  if (environment.kind === 'local') {
    if (!environment.controlUrl)
      throw new RedoubtError(
        'CONFIG_INVALID',
        'the local stack serves no control API (stack.json supervisor.control)',
      );
    return new LocalFaultDriver(
      new ControlApiClient(environment.controlUrl, environment.adminKey),
      environment.processes,
      environment.clockDir,
    );
  }
  const project = options.project;
  if (!project)
    throw new RedoubtError(
      'CONFIG_INVALID',
      `the ${options.kind ?? 'docker'} driver needs the ${options.kind === 'swarm' ? 'stack' : 'compose project'}: ` +
        '--project <name>, COMPOSE_PROJECT_NAME or COMPOSE_PROJECT',
      { variables: ['COMPOSE_PROJECT_NAME'] },
    );
  // A container's service URL (and a data node's id) is the one whose host name is its service name.
  const services = [
    ...environment.dataNodes.map((n) => ({ url: n.url, id: n.id })),
    ...environment.gateways.map((url) => ({ url })),
    ...environment.monitors.map((url) => ({ url })),
    ...environment.services.map((s) => ({ url: s.url })),
    ...(environment.redisUrl ? [{ url: environment.redisUrl }] : []),
  ];
  const docker = options.dockerSocket ? { docker: new Docker({ socketPath: options.dockerSocket }) } : {};
  if (options.kind === 'swarm') return new SwarmFaultDriver({ stack: project, services, ...docker });
  return new DockerFaultDriver({
    project,
    services,
    ...docker,
    // clock-skew: the libfaketime offset files (deploy/docker/chaos-clock.yml); absent: clock faults refused.
    clockDir: options.clockDir ?? process.env['CHAOS_CLOCK_DIR'],
  });
}
