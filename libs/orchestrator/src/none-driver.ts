import { RedoubtError } from '@redoubt/errors';
import type { OrchestratorDriver, RuntimeAction, RuntimeStatus } from './orchestrator-driver.js';

/** ORCHESTRATOR=none: the monitor detects and reports, re-places dead data nodes, but restarts nothing. */
export class NoneDriver implements OrchestratorDriver {
  readonly kind = 'none' as const;

  async status(name: string): Promise<RuntimeStatus> {
    return {
      name,
      state: 'unknown',
      detail: 'no orchestrator configured',
      disconnected: [],
      pid: null,
      startedAt: null,
    };
  }

  async perform(name: string, action: RuntimeAction): Promise<void> {
    throw new RedoubtError(
      'ORCHESTRATOR_ACTION_FAILED',
      `cannot ${action} ${name}: no orchestrator is configured (ORCHESTRATOR=none)`,
    );
  }

  watch(): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {}
}
