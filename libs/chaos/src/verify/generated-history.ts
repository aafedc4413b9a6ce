import type { RegisterInput, RegisterOperation, RegisterOutput } from './linearizability.js';

/**
 * A history made by running a real register: each operation takes effect at a random instant inside its
 * own [call, return] interval, `clients` operations overlap at a time, and some writes time out (their
 * outcome unknown to the client, though they did take effect). Linearizable by construction.
 */
export function concurrentHistory(count: number, clients: number, seed: number): RegisterOperation[] {
  let s = seed;
  const random = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const events: { at: number; client: number; input: RegisterInput; call: number; ret: number }[] = [];
  const free = Array.from({ length: clients }, () => 0);
  for (let i = 0; i < count; i++) {
    const client = i % clients;
    const call = free[client]! + random() * 2;
    const ret = call + 1 + random() * 6;
    free[client] = ret;
    const r = random();
    const input: RegisterInput =
      r < 0.4
        ? { kind: 'read' }
        : r < 0.55
          ? { kind: 'cas', expect: { kind: 'absent' }, value: `v${i}` }
          : { kind: 'cas', expect: { kind: 'value', value: `v${Math.floor(random() * i)}` }, value: `v${i}` };
    events.push({ at: call + random() * (ret - call), client, input, call, ret });
  }
  let state: string | null = null;
  const ops: RegisterOperation[] = [];
  for (const e of [...events].sort((a, b) => a.at - b.at)) {
    let output: RegisterOutput;
    if (e.input.kind === 'read') output = { kind: 'read', value: state };
    else if (e.input.kind === 'cas') {
      const holds =
        e.input.expect.kind === 'absent'
          ? state === null
          : state === (e.input.expect as { value: string }).value;
      if (holds) state = e.input.value;
      output = holds ? { kind: 'ok' } : { kind: 'failed' };
    } else {
      state = e.input.value;
      output = { kind: 'ok' };
    }
    const timedOut = e.input.kind !== 'read' && random() < 0.05;
    ops.push({
      key: 'k',
      client: `c${e.client}`,
      input: e.input,
      output: timedOut ? null : output,
      call: e.call,
      return: timedOut ? null : e.ret,
    });
  }
  return ops;
}

/**
 * A copy of `ops` in which the last acknowledged read returns a value that was overwritten long before
 * (a stale read): never linearizable, and found only by exhausting the search, the checker's worst case.
 */
export function withStaleRead(ops: readonly RegisterOperation[]): RegisterOperation[] {
  const broken = structuredClone(ops) as RegisterOperation[];
  const victim = broken.findLast((o) => o.output?.kind === 'read' && o.output.value !== null);
  const stale = broken.find(
    (o) =>
      o.input.kind === 'cas' &&
      o.output?.kind === 'ok' &&
      o.input.value !== null &&
      victim?.output?.kind === 'read' &&
      o.input.value !== victim.output.value,
  );
  if (victim && stale?.input.kind === 'cas') victim.output = { kind: 'read', value: stale.input.value };
  return broken;
}
