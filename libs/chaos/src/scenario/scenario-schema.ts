import { z } from 'zod';
import { durationField } from './duration.js';

/**
 * The chaos scenario file (YAML in chaos/scenarios/): load, steady-state objectives, faults (a fixed
 * schedule and/or faults drawn from a seed), guards and what to verify. Every duration is written as
 * `500ms`, `5s`, `2m` (or milliseconds) and parsed to milliseconds. docs/chaos.md describes every field.
 */

export const FAULT_KINDS = [
  'kill',
  'stop',
  'pause',
  'restart',
  'crash',
  'disconnect',
  'partition',
  'slow-link',
  'reset-link',
  'clock-skew',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Faults on a network link (the target, and a peer or everything else): docs/chaos.md, "Network faults". */
export const LINK_FAULTS: readonly FaultKind[] = ['partition', 'slow-link', 'reset-link'];

/** Faults that last until they are undone (resume, reconnect, heal a link, reset a clock): they need a duration. */
export const TIMED_FAULTS: readonly FaultKind[] = ['pause', 'disconnect', ...LINK_FAULTS, 'clock-skew'];

/**
 * Faults whose target keeps serving its health checks (a link or a clock), so detection and recovery are
 * what the clients see (the load's error rate and p99 against the steady-state objectives), not the probe.
 */
export const EFFECT_FAULTS: readonly FaultKind[] = [...LINK_FAULTS, 'clock-skew'];

export const LINK_DIRECTIONS = ['both', 'inbound', 'outbound'] as const;
export type LinkDirection = (typeof LINK_DIRECTIONS)[number];

/** `+30s`, `-2m`, `+500ms`: a signed clock offset in milliseconds. */
const signedDuration = () =>
  z.string().transform((value, ctx) => {
    const match = /^\s*([+-])\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(value);
    if (!match) {
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(value)} is not a signed offset (e.g. +30s, -2m)`,
      });
      return z.NEVER;
    }
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[3]!]!;
    return (match[1] === '-' ? -1 : 1) * Math.round(Number(match[2]) * unit);
  });

export const TARGET_PICKS = ['random', 'first', 'most-partitions', 'leader'] as const;
export type TargetPick = (typeof TARGET_PICKS)[number];

const serviceName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'a service name is letters, digits, _ . - (e.g. data-2)');

/**
 * Who a fault hits: a service by name (`data-2`, or `{ service: data-2 }`), a role (`data`, `gateway`,
 * `redis`, `monitor`, `backup-worker`) or a label (`com.docker.compose.service=gateway`), with a pick among
 * the matches: `random` (by the scenario's seed), `first`, `most-partitions` (data nodes, from the
 * placement) or `leader` (monitors, from the monitor's status API / Redis lease).
 */
export const targetSelectorSchema = z.preprocess(
  (input) => (typeof input === 'string' ? { service: input } : input),
  z
    .object({
      service: serviceName.optional(),
      role: z
        .string()
        .regex(/^[a-z][a-z0-9-]{0,63}$/, 'a role is lower-case letters, digits and dashes (e.g. data)')
        .optional(),
      label: z
        .string()
        .regex(/^[^=\s]+=\S*$/, 'a label selector is key=value')
        .optional(),
      pick: z.enum(TARGET_PICKS).default('random'),
    })
    .strict()
    .superRefine((selector, ctx) => {
      const given = [selector.service, selector.role, selector.label].filter((v) => v !== undefined);
      if (given.length !== 1)
        ctx.addIssue({ code: 'custom', message: 'name exactly one of service, role or label' });
      if (selector.pick === 'most-partitions' && selector.role !== 'data')
        ctx.addIssue({ code: 'custom', path: ['pick'], message: 'most-partitions needs role: data' });
      if (selector.pick === 'leader' && selector.role !== 'monitor')
        ctx.addIssue({ code: 'custom', path: ['pick'], message: 'leader needs role: monitor' });
    }),
);

export type TargetSelector = z.infer<typeof targetSelectorSchema>;

const ratio = () => z.number().min(0).max(1);

export const faultSchema = z
  .object({
    /** A name for the report (default: `<kind> <target>`). */
    name: z.string().min(1).max(80).optional(),
    /** When, from the start of the load. */
    at: durationField(),
    kind: z.enum(FAULT_KINDS),
    target: targetSelectorSchema,
    /** pause/disconnect: how long; stop/kill: undo (start) after this long instead of waiting for the monitor. */
    duration: durationField().optional(),
    /** Objective: the target serves again within this long after the fault ends (default: verify.recoverWithin). */
    recoverWithin: durationField().optional(),
    /** Let this fault take a partition below W live replicas (the guard refuses it otherwise). */
    allowBelowWriteQuorum: z.boolean().default(false),
    /** Link faults: the other end (absent: every peer, the whole service cut off but for loopback). */
    peer: targetSelectorSchema.optional(),
    /** Link faults: `inbound` drops what the target receives from the peer, `outbound` what it sends. */
    direction: z.enum(LINK_DIRECTIONS).default('both'),
    /** slow-link: the share of packets dropped on the link (TCP retransmits make it slow); default 0.3. */
    loss: z.number().gt(0).max(0.9).optional(),
    /** clock-skew: the target's clock offset while the fault lasts (`+30s`, `-2m`). */
    skew: signedDuration().optional(),
  })
  .strict()
  .superRefine((fault, ctx) => {
    if (fault.kind === 'clock-skew' && fault.skew === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['skew'],
        message: 'a clock-skew fault needs a skew (e.g. +30s)',
      });
    if (fault.kind !== 'clock-skew' && fault.skew !== undefined)
      ctx.addIssue({ code: 'custom', path: ['skew'], message: 'skew is for clock-skew faults only' });
    if (!LINK_FAULTS.includes(fault.kind) && fault.peer !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['peer'],
        message: `a ${fault.kind} fault has no peer (link faults do)`,
      });
    if (fault.kind !== 'slow-link' && fault.loss !== undefined)
      ctx.addIssue({ code: 'custom', path: ['loss'], message: 'loss is for slow-link faults only' });
    if (TIMED_FAULTS.includes(fault.kind) && fault.duration === undefined)
      ctx.addIssue({ code: 'custom', path: ['duration'], message: `a ${fault.kind} fault needs a duration` });
    if ((fault.kind === 'restart' || fault.kind === 'crash') && fault.duration !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['duration'],
        message: `a ${fault.kind} is instantaneous; it takes no duration`,
      });
  });

export type FaultSpec = z.infer<typeof faultSchema>;

const range = () =>
  z
    .tuple([durationField(), durationField()])
    .refine(([low, high]) => low <= high, { message: 'the first bound must not exceed the second' });

/** Faults drawn from the seed: same seed, same faults, same times, same picks. */
export const randomFaultsSchema = z
  .object({
    count: z.number().int().min(1).max(100),
    kinds: z
      .array(z.enum(FAULT_KINDS))
      .min(1)
      .refine((kinds) => !kinds.includes('clock-skew'), {
        message: 'clock-skew needs a skew: list it under faults, not random',
      }),
    targets: z.array(targetSelectorSchema).min(1),
    /** Faults start within this window (from the start of the load). */
    window: range(),
    /** At least this long between two fault starts. */
    minGap: durationField().default(5000),
    /** Duration range for pause/disconnect (and for stop/kill when `undoStopped`). */
    duration: range().default([2000, 5000]),
    /** Start stopped/killed targets again after a drawn duration instead of waiting for the monitor. */
    undoStopped: z.boolean().default(false),
    allowBelowWriteQuorum: z.boolean().default(false),
  })
  .strict();

export const loadSchema = z
  .object({
    /** `auto`: k6 when it is on PATH (or CHAOS_K6_COMMAND is set), else the built-in driver. */
    engine: z.enum(['auto', 'k6', 'builtin']).default('auto'),
    duration: durationField(),
    /** Arrivals per second (open model: they keep coming however slow the service is). */
    rate: z.number().positive().max(20_000),
    /** Share of PUTs among requests; the rest are GETs of keys written before. */
    putRatio: ratio().default(0.7),
    /** Share of PUTs that overwrite a key written before (the rest write new keys). */
    overwriteRatio: ratio().default(0.1),
    valueBytes: z.number().int().min(8).max(1_048_576).default(64),
    /** Requests in flight at most; arrivals beyond it are dropped and counted (k6: dropped_iterations). */
    maxInFlight: z.number().int().min(1).max(10_000).default(128),
    /** Per-request timeout; a write that times out is `unknown`. */
    timeout: durationField().default(3000),
    /** Load before the first fault may start, for the steady state to settle. */
    warmup: durationField().default(5000),
    /**
     * A compare-and-set workload beside the load: `clients` closed loops of serial read, then conditional
     * write over what was read, on `keys` shared keys; its history is checked for linearizability
     * (verify.linearizable). `maxSteps` bounds the checker's search per key (then the verdict is unknown).
     */
    cas: z
      .object({
        clients: z.number().int().min(1).max(64).default(4),
        keys: z.number().int().min(1).max(1000).default(4),
        maxSteps: z.number().int().min(1000).max(100_000_000).default(5_000_000),
      })
      .strict()
      .optional(),
  })
  .strict();

export const steadyStateSchema = z
  .object({
    /** Objective outside fault windows (fraction of requests that fail). */
    maxErrorRate: ratio().default(0.01),
    /** Objective outside fault windows. */
    p99: durationField().default(500),
    /** Abort (and heal) when the error rate stays above `abortErrorRate` this long. */
    abortErrorRate: ratio().default(0.9),
    abortAfter: durationField().default(15_000),
  })
  .strict();

export const guardsSchema = z
  .object({
    /** Allow faults that leave a partition below W live replicas (per fault: allowBelowWriteQuorum). */
    allowBelowWriteQuorum: z.boolean().default(false),
    /** Abort when the steady state is broken beyond tolerance (steadyState.abort*). */
    abortOnBrokenSteadyState: z.boolean().default(true),
  })
  .strict();

export const verifySchema = z
  .object({
    /** Every acknowledged write reads back with its value or a newer one. */
    acknowledgedWrites: z.boolean().default(true),
    /** Register check: a read after an acknowledged write returns it or a write not finished before it began. */
    registers: z.boolean().default(true),
    /** Every partition's replicas have equal digests (after healing), within this long. */
    replicasConverge: z.boolean().default(true),
    convergeWithin: durationField().default(60_000),
    /** Default recovery objective of every fault: serving again within this long. */
    recoverWithin: durationField().default(5000),
    /** Fail the run when a fault misses its recovery objective. */
    recoveryObjectives: z.boolean().default(true),
    /** Fail the run when the steady-state objectives are missed outside fault windows. */
    steadyStateObjectives: z.boolean().default(false),
    /** With a CAS workload (load.cas): its history must be linearizable (an `unknown` verdict fails too). */
    linearizable: z.boolean().default(true),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lower-case letters, digits and dashes'),
    description: z.string().max(2000).optional(),
    /** A number or string; the same seed replays the same schedule. Absent: drawn at run time and recorded. */
    seed: z.union([z.number().int(), z.string().min(1)]).optional(),
    /** Default driver when the CLI does not say (`--driver`). */
    driver: z.enum(['local', 'docker', 'swarm']).optional(),
    load: loadSchema,
    steadyState: steadyStateSchema.default(steadyStateSchema.parse({})),
    faults: z.array(faultSchema).default([]),
    random: randomFaultsSchema.optional(),
    guards: guardsSchema.default(guardsSchema.parse({})),
    verify: verifySchema.default(verifySchema.parse({})),
  })
  .strict()
  .superRefine((scenario, ctx) => {
    scenario.faults.forEach((fault, index) => {
      if (fault.at >= scenario.load.duration)
        ctx.addIssue({
          code: 'custom',
          path: ['faults', index, 'at'],
          message: `starts at ${fault.at} ms, after the load ends (${scenario.load.duration} ms)`,
        });
    });
    if (scenario.random && scenario.random.window[1] >= scenario.load.duration)
      ctx.addIssue({
        code: 'custom',
        path: ['random', 'window'],
        message: 'the window must end before the load does',
      });
  });

export type Scenario = z.infer<typeof scenarioSchema>;
export type LoadProfile = Scenario['load'];
export type SteadyStateObjectives = Scenario['steadyState'];
export type VerifySettings = Scenario['verify'];
