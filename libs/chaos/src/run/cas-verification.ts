import { runCasWorkload, type CasAnswers } from '../load/cas-workload.js';
import type { Scenario } from '../scenario/scenario-schema.js';
import { checkLinearizability, type LinearizabilityResult } from '../verify/linearizability.js';

/** The CAS workload's figures and the checker's verdict, as the report carries them. */
export interface CasVerification {
  clients: number;
  keys: number;
  operations: { answered: number; unknown: number; refused: number };
  answers: CasAnswers;
  result: Omit<LinearizabilityResult, 'problems'> & { problems: LinearizabilityResult['problems'] };
}

/**
 * Runs the scenario's compare-and-set workload (`load.cas`) beside the main load, from the run's
 * gateways, until `stop`; `verify` then checks its history with the linearizability checker. A scenario
 * without `load.cas` gets a no-op (nothing runs, `verify` resolves undefined).
 */
export function startCasWorkload(
  scenario: Scenario,
  gateways: readonly string[],
  apiKey: string,
  runId: string,
): { stop(): void; verify(log: (line: string) => void): Promise<CasVerification | undefined> } {
  const cas = scenario.load.cas;
  if (!cas) return { stop: () => undefined, verify: async () => undefined };
  const stopper = new AbortController();
  const running = runCasWorkload({
    gateways,
    apiKey,
    clients: cas.clients,
    keys: cas.keys,
    keyPrefix: `chaos-cas/${runId}/`,
    timeoutMs: scenario.load.timeout,
    signal: stopper.signal,
  });
  return {
    stop: () => stopper.abort(),
    async verify(log) {
      stopper.abort();
      const { history, answers } = await running;
      const operations = history.operations();
      log(`verifying: linearizability of ${operations.length} CAS operations on ${cas.keys} keys`);
      const result = checkLinearizability(operations, { maxSteps: cas.maxSteps });
      return {
        clients: cas.clients,
        keys: cas.keys,
        operations: history.counts(),
        answers,
        result: { ...result, problems: result.problems.slice(0, 20) },
      };
    },
  };
}
