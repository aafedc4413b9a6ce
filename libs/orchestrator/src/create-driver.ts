import { RedoubtError } from '@redoubt/errors';
import { DockerDriver } from './docker-driver.js';
import { KubernetesDriver } from './kubernetes-driver.js';
import { NoneDriver } from './none-driver.js';
import type { OrchestratorDriver, OrchestratorKind } from './orchestrator-driver.js';
import { SupervisorDriver } from './supervisor-driver.js';
import { SwarmDriver } from './swarm-driver.js';

export interface DriverSettings {
  kind: OrchestratorKind;
  /** local: the supervisor's control API. */
  supervisorUrl?: string;
  /** local: the admin key of the control API. */
  adminKey?: string;
  /** docker */
  dockerSocket?: string;
  composeProject?: string;
  /** swarm: the stack's name (`docker stack deploy ... <stack>`). */
  swarmStack?: string;
  /** kubernetes: the release's namespace and the label selector of its pods. */
  namespace?: string;
  podSelector?: string;
  /** local: how often the process list is read. */
  pollIntervalMs?: number;
}

export function createDriver(settings: DriverSettings): OrchestratorDriver {
  switch (settings.kind) {
    case 'local':
      if (!settings.supervisorUrl || !settings.adminKey)
        throw new RedoubtError('CONFIG_INVALID', 'ORCHESTRATOR=local needs SUPERVISOR_URL and ADMIN_KEY');
      return new SupervisorDriver({
        url: settings.supervisorUrl,
        adminKey: settings.adminKey,
        pollIntervalMs: settings.pollIntervalMs,
      });
    case 'docker':
      return new DockerDriver({ socketPath: settings.dockerSocket, project: settings.composeProject });
    case 'swarm':
      if (!settings.swarmStack)
        throw new RedoubtError('CONFIG_INVALID', 'ORCHESTRATOR=swarm needs SWARM_STACK (the stack name)');
      return new SwarmDriver({ stack: settings.swarmStack, socketPath: settings.dockerSocket });
    case 'kubernetes':
      if (!settings.namespace || !settings.podSelector)
        throw new RedoubtError(
          'CONFIG_INVALID',
          'ORCHESTRATOR=kubernetes needs KUBERNETES_NAMESPACE and KUBERNETES_POD_SELECTOR',
        );
      return new KubernetesDriver({ namespace: settings.namespace, selector: settings.podSelector });
    case 'none':
      return new NoneDriver();
  }
}
