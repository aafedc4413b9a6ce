/**
 * A linearizability checker for histories of registers with compare-and-set (one register per key): the
 * Wing–Gong search as Porcupine runs it (Lowe's improvement): walk the history's call and return events
 * in time order, linearize a pending call whenever the model allows it, backtrack at a return whose call
 * was not linearized yet, and remember every (set of linearized operations, register state) already
 * explored so that no configuration is searched twice. Keys are independent (linearizability is local),
 * so each key's history is searched on its own.
 *
 * An operation whose outcome the client never learned (a timeout, a 503 whose write may have landed) has
 * no return: it may take effect at any point after its call, or never. The search linearizes such an
 * operation only where it takes effect (its condition holds) and never requires it: one that failed its
 * condition changed nothing, which is the same as never happening. Without that rule every pending unknown
 * operation doubles the configurations to explore (linearized as a no-op, or not yet) and a history with
 * a few dozen timeouts cannot be decided.
 *
 * The search is exponential in the worst case; `maxSteps` bounds it and the verdict is then `unknown`,
 * never a guess.
 */

/** What a client asked: values are unique per write, so a value names the write that stored it. */
export type RegisterInput =
  | { kind: 'read' }
  /** An unconditional write (last writer wins); value null deletes. */
  | { kind: 'write'; value: string | null }
  /** A conditional write: `value` (null deletes) only if the register matches `expect`. */
  | { kind: 'cas'; expect: RegisterExpectation; value: string | null };

export type RegisterExpectation = { kind: 'absent' } | { kind: 'exists' } | { kind: 'value'; value: string };

/** What the client learned; null when it never learned the outcome. */
export type RegisterOutput = { kind: 'read'; value: string | null } | { kind: 'ok' } | { kind: 'failed' };

export interface RegisterOperation {
  key: string;
  client: string;
  input: RegisterInput;
  output: RegisterOutput | null;
  /** When the call was made and when its answer came (same clock, e.g. performance.now()); null: never. */
  call: number;
  return: number | null;
}

export type LinearizabilityVerdict = 'linearizable' | 'not-linearizable' | 'unknown';

export interface KeyResult {
  key: string;
  verdict: LinearizabilityVerdict;
  operations: number;
  steps: number;
  /** Most operations linearized at once: for a failure, how far the search got before it could go no further. */
  deepest: number;
}

export interface LinearizabilityResult {
  verdict: LinearizabilityVerdict;
  operations: number;
  keys: number;
  steps: number;
  ms: number;
  /** The keys that were not linearizable, or whose search ran out (unknown), with their figures. */
  problems: KeyResult[];
}

export interface CheckOptions {
  /** Search steps per key before giving up with `unknown`. Default 5,000,000. */
  maxSteps?: number;
}

/** Checks every key's history; the verdict is the worst one (not-linearizable > unknown > linearizable). */
export function checkLinearizability(
  operations: readonly RegisterOperation[],
  options: CheckOptions = {},
): LinearizabilityResult {
  const started = performance.now();
  const byKey = new Map<string, RegisterOperation[]>();
  for (const op of operations) {
    // a read whose answer never came observed nothing: it constrains no linearization
    if (op.input.kind === 'read' && op.output === null) continue;
    const list = byKey.get(op.key);
    if (list) list.push(op);
    else byKey.set(op.key, [op]);
  }
  const problems: KeyResult[] = [];
  let steps = 0;
  let count = 0;
  for (const [key, ops] of byKey) {
    const result = checkKey(key, ops, options.maxSteps ?? 5_000_000);
    steps += result.steps;
    count += ops.length;
    if (result.verdict !== 'linearizable') problems.push(result);
  }
  const verdict: LinearizabilityVerdict = problems.some((p) => p.verdict === 'not-linearizable')
    ? 'not-linearizable'
    : problems.length > 0
      ? 'unknown'
      : 'linearizable';
  return { verdict, operations: count, keys: byKey.size, steps, ms: performance.now() - started, problems };
}

type State = string | null;

/** The register's sequential specification: may `input` with `output` happen in `state`, and what follows. */
export function stepRegister(
  state: State,
  input: RegisterInput,
  output: RegisterOutput | null,
): { ok: boolean; next: State } {
  if (input.kind === 'read') {
    return { ok: output === null || (output.kind === 'read' && output.value === state), next: state };
  }
  if (input.kind === 'write') return { ok: output === null || output.kind === 'ok', next: input.value };
  const holds = expectationHolds(input.expect, state);
  // unknown outcome: worth linearizing only where it takes effect (see the module comment)
  if (output === null) return { ok: holds, next: holds ? input.value : state };
  if (output.kind === 'ok') return { ok: holds, next: input.value };
  if (output.kind === 'failed') return { ok: !holds, next: state };
  return { ok: false, next: state };
}

function expectationHolds(expect: RegisterExpectation, state: State): boolean {
  if (expect.kind === 'absent') return state === null;
  if (expect.kind === 'exists') return state !== null;
  return state === expect.value;
}

/** One event of the doubly linked list the search walks: a call, or the return it matches. */
interface Entry {
  op: number;
  time: number;
  isCall: boolean;
  match: Entry | null; // a call's return; null for a call whose outcome is unknown (it never returned)
  prev: Entry | null;
  next: Entry | null;
}

function checkKey(key: string, ops: readonly RegisterOperation[], maxSteps: number): KeyResult {
  // A read of a value no operation ever wrote cannot be linearized anywhere: say so without a search
  // (which would have to exhaust every configuration first).
  const written = new Set<string>();
  for (const op of ops) if (op.input.kind !== 'read' && op.input.value !== null) written.add(op.input.value);
  const ghost = ops.some(
    (o) => o.output?.kind === 'read' && o.output.value !== null && !written.has(o.output.value),
  );
  if (ghost) return { key, verdict: 'not-linearizable', operations: ops.length, steps: 0, deepest: 0 };

  const head = buildList(ops);
  const words = Math.ceil(ops.length / 32);
  const linearized = new Uint32Array(words);
  const seen = new ConfigurationSet(ops.length);
  const stack: { entry: Entry; state: State }[] = [];
  let state: State = null;
  let entry = head.next;
  let steps = 0;
  // operations with an outcome must all be linearized; the unknown ones may be left out
  let required = ops.filter((o) => o.return !== null).length;
  let deepest = 0;
  const result = (verdict: LinearizabilityVerdict): KeyResult => ({
    key,
    verdict,
    operations: ops.length,
    steps,
    deepest,
  });

  while (required > 0) {
    if (++steps > maxSteps) return result('unknown');
    if (entry === null || !entry.isCall) {
      // a return whose call is not linearized yet (or the end, past unknown calls that cannot take effect
      // here): undo the last choice and try the next one
      const top = stack.pop();
      if (!top) return result('not-linearizable');
      state = top.state;
      clearBit(linearized, top.entry.op);
      seen.undo(top.entry.op);
      if (top.entry.match) required++;
      unlift(top.entry);
      entry = top.entry.next;
    } else {
      const op = ops[entry.op]!;
      const { ok, next } = stepRegister(state, op.input, op.output);
      if (ok) {
        setBit(linearized, entry.op);
        if (seen.add(linearized, entry.op, next)) {
          stack.push({ entry, state });
          if (stack.length > deepest) deepest = stack.length;
          state = next;
          if (entry.match) required--;
          lift(entry);
          entry = head.next;
          continue;
        }
        clearBit(linearized, entry.op);
        seen.undo(entry.op);
      }
      entry = entry.next;
    }
  }
  return result('linearizable');
}

/** Calls and returns in time order, calls first at equal times (operations that touch overlap). */
function buildList(ops: readonly RegisterOperation[]): Entry {
  const events: Entry[] = [];
  ops.forEach((op, i) => {
    const ret: Entry | null =
      op.return === null
        ? null
        : { op: i, time: op.return, isCall: false, match: null, prev: null, next: null };
    events.push({ op: i, time: op.call, isCall: true, match: ret, prev: null, next: null });
    if (ret) events.push(ret);
  });
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? 0 : a.isCall ? -1 : 1));
  const head: Entry = { op: -1, time: -Infinity, isCall: false, match: null, prev: null, next: null };
  let last = head;
  for (const e of events) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  return head;
}

function lift(call: Entry): void {
  call.prev!.next = call.next;
  if (call.next) call.next.prev = call.prev;
  const ret = call.match;
  if (!ret) return;
  ret.prev!.next = ret.next;
  if (ret.next) ret.next.prev = ret.prev;
}

function unlift(call: Entry): void {
  const ret = call.match;
  if (ret) {
    ret.prev!.next = ret;
    if (ret.next) ret.next.prev = ret;
  }
  call.prev!.next = call;
  if (call.next) call.next.prev = call;
}

function setBit(bits: Uint32Array, i: number): void {
  bits[i >>> 5]! |= 1 << (i & 31);
}

function clearBit(bits: Uint32Array, i: number): void {
  bits[i >>> 5]! &= ~(1 << (i & 31));
}

/**
 * The configurations explored: (linearized operations, state). The set of operations is hashed
 * incrementally (Zobrist: a random 2 x 32-bit word per operation, XORed in and out as the search
 * linearizes and undoes it), and a hash bucket keeps exact copies, so a collision can never make the
 * search skip a configuration it has not seen.
 */
class ConfigurationSet {
  private readonly low: Uint32Array;
  private readonly high: Uint32Array;
  private hashLow = 0;
  private hashHigh = 0;
  private readonly buckets = new Map<string, { bits: Uint32Array; state: State }[]>();

  constructor(operations: number) {
    this.low = new Uint32Array(operations);
    this.high = new Uint32Array(operations);
    let x = 0x9e3779b9;
    const next = () => {
      // xorshift32: deterministic, so a verdict and its step count replay exactly
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
    for (let i = 0; i < operations; i++) {
      this.low[i] = next();
      this.high[i] = next();
    }
  }

  /** Notes that `op` was linearized (its bit already set in `bits`); false if the configuration was seen. */
  add(bits: Uint32Array, op: number, state: State): boolean {
    this.hashLow = (this.hashLow ^ this.low[op]!) >>> 0;
    this.hashHigh = (this.hashHigh ^ this.high[op]!) >>> 0;
    const key = `${this.hashLow}:${this.hashHigh}`;
    const bucket = this.buckets.get(key);
    if (bucket?.some((c) => c.state === state && equalBits(c.bits, bits))) return false;
    const entry = { bits: bits.slice(), state };
    if (bucket) bucket.push(entry);
    else this.buckets.set(key, [entry]);
    return true;
  }

  /** `op` is no longer linearized (its bit cleared): take it out of the running hash. */
  undo(op: number): void {
    this.hashLow = (this.hashLow ^ this.low[op]!) >>> 0;
    this.hashHigh = (this.hashHigh ^ this.high[op]!) >>> 0;
  }
}

function equalBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
