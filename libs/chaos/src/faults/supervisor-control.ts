import type { Supervisor } from '@redoubt/local-stack';
import type { ControlAction, ControlledProcess, ProcessControl } from './process-control.js';

/**
 * The same control surface as the HTTP control API, for a stack started in this process with
 * `startLocalStack` (tests): every call goes to `Supervisor.control`, exactly what the API handler does.
 */
export function supervisorControl(supervisor: Supervisor): ProcessControl {
  return {
    list: async () => supervisor.list(),
    act: async (name: string, action: ControlAction): Promise<ControlledProcess> =>
      supervisor.control(name, action),
  };
}
