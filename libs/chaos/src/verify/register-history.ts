import type { RegisterInput, RegisterOperation, RegisterOutput } from './linearizability.js';

/**
 * Records register operations as clients run them, for checkLinearizability: `invoke` notes the call
 * time, and the returned handle notes how it ended. An operation never ended (the run stopped first) or
 * ended with `unknown` keeps no return: it may or may not have taken effect.
 */
export class RegisterHistory {
  private readonly ops: RegisterOperation[] = [];
  private readonly dropped = new Set<RegisterOperation>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  invoke(client: string, key: string, input: RegisterInput) {
    const op: RegisterOperation = { key, client, input, output: null, call: this.now(), return: null };
    this.ops.push(op);
    return {
      /** The client learned the outcome. */
      ok: (output: RegisterOutput) => {
        op.output = output;
        op.return = this.now();
      },
      /** The client will never know (timeout, a 503 whose write may have landed). */
      unknown: () => {
        op.output = null;
        op.return = null;
      },
      /** Certainly did not happen (refused before anything was applied): dropped from the history. */
      failed: () => {
        this.dropped.add(op);
      },
    };
  }

  operations(): RegisterOperation[] {
    return this.ops.filter((o) => !this.dropped.has(o));
  }

  /** Operations recorded: answered, never answered (unknown), and refused before anything happened. */
  counts(): { answered: number; unknown: number; refused: number } {
    const kept = this.operations();
    const unknown = kept.filter((o) => o.return === null).length;
    return { answered: kept.length - unknown, unknown, refused: this.dropped.size };
  }
}
