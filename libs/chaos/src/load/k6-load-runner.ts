import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { WriteHistory, WriteOutcome } from '../history/write-history.js';
import type { LoadTimeline } from '../measure/load-timeline.js';
import type { LoadProfile } from '../scenario/scenario-schema.js';
import type { LoadRunSummary } from './builtin-load-driver.js';
import { classifyWriteResponse } from './write-outcome.js';

/** The marker the k6 load script puts before each operation it logs (chaos/k6/load.ts). */
export const K6_HISTORY_MARKER = 'chaos-op ';

/** One operation as chaos/k6/load.ts logs it. */
export interface K6OpLine {
  o: 'put' | 'get';
  k: string;
  /** PUT value. */
  v?: string;
  /** Gateway URL. */
  g: string;
  t0: number;
  t1: number;
  /** HTTP status; 0 when no response. */
  s: number;
  /** k6 error_code (0: none). */
  e: number;
  etag?: string | null;
  /** Body of a failed response (the gateway's error JSON). */
  b?: string | null;
}

export interface K6Invocation {
  /** argv before the script, e.g. ['k6'] or ['docker-compose', 'run', '--rm', '-T', 'k6']. */
  command: string[];
  /** The load script as that command sees it. */
  script: string;
}

/**
 * Where k6 is: CHAOS_K6_COMMAND (a command line, e.g. the compose k6 service) or `k6` on PATH. Undefined
 * when there is none (this machine: k6 is not installable; the built-in driver runs instead).
 */
export function findK6(env: NodeJS.ProcessEnv, defaultScript: string): K6Invocation | undefined {
  const script = env.CHAOS_K6_SCRIPT ?? defaultScript;
  if (env.CHAOS_K6_COMMAND) return { command: env.CHAOS_K6_COMMAND.split(/\s+/).filter(Boolean), script };
  const probe = spawnSync('k6', ['version'], { stdio: 'ignore', timeout: 10_000 });
  return probe.status === 0 ? { command: ['k6'], script } : undefined;
}

/**
 * k6 error codes (response.error_code) raised before the request was sent: DNS and TCP dial failures
 * (1100..1213). A reset (1220), a timeout (1050) and the rest leave the write's fate unknown.
 */
export function k6WriteOutcome(line: K6OpLine): WriteOutcome {
  if (line.s > 0) return classifyWriteResponse(line.s, line.b ?? '', line.etag ?? null);
  if (line.e >= 1100 && line.e <= 1213) return { status: 'failed', error: `K6_${line.e}` };
  return { status: 'unknown', error: `K6_${line.e || 'NO_RESPONSE'}` };
}

/** Extracts an operation from one line of k6's output (`--log-format json`, or raw text as a fallback). */
export function parseK6Line(line: string): K6OpLine | undefined {
  let text = line;
  if (line.startsWith('{')) {
    try {
      const parsed = JSON.parse(line) as { msg?: unknown };
      if (typeof parsed.msg === 'string') text = parsed.msg;
    } catch {
      return undefined;
    }
  }
  const at = text.indexOf(K6_HISTORY_MARKER);
  if (at < 0) return undefined;
  try {
    return JSON.parse(text.slice(at + K6_HISTORY_MARKER.length)) as K6OpLine;
  } catch {
    return undefined;
  }
}

export interface K6LoadOptions {
  invocation: K6Invocation;
  profile: LoadProfile;
  gateways: readonly string[];
  apiKey: string;
  runId: string;
  history: WriteHistory;
  timeline: LoadTimeline;
  /** Where k6's handleSummary writes its JSON. */
  summaryFile: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/**
 * Runs the k6 load script with the scenario's profile (as environment variables), reading every operation
 * it logs from its output as it happens, into the same history and timeline as the built-in driver.
 * Bounded: k6 stops itself after the duration; an abort sends it SIGINT, and SIGKILL 15 s later.
 */
export async function runK6Load(options: K6LoadOptions): Promise<LoadRunSummary> {
  const { profile, history, timeline } = options;
  const [command, ...args] = options.invocation.command;
  const startedAt = Date.now();
  const env = {
    ...process.env,
    BASE_URLS: options.gateways.join(','),
    API_KEY: options.apiKey,
    RATE: String(profile.rate),
    DURATION: `${Math.round(profile.duration / 1000)}s`,
    PUT_RATIO: String(profile.putRatio),
    OVERWRITE_RATIO: String(profile.overwriteRatio),
    VALUE_BYTES: String(profile.valueBytes),
    MAX_VUS: String(profile.maxInFlight),
    TIMEOUT: `${profile.timeout}ms`,
    RUN_ID: options.runId,
    SUMMARY_FILE: options.summaryFile,
    LOG_OPS: '1',
  };
  const child = spawn(
    command!,
    [...args, 'run', '--log-format=json', '--quiet', '--no-color', options.invocation.script],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let puts = 0;
  let gets = 0;
  const onLine = (line: string) => {
    const op = parseK6Line(line);
    if (!op) {
      if (line.trim()) options.log?.(`k6: ${line}`);
      return;
    }
    if (op.o === 'put' && op.v !== undefined) {
      puts += 1;
      const outcome = k6WriteOutcome(op);
      history.add({
        key: op.k,
        value: op.v,
        gateway: op.g,
        invokedAt: op.t0,
        completedAt: op.t1,
        status: outcome.status,
        version: outcome.version ?? null,
        httpStatus: outcome.httpStatus ?? null,
        error: outcome.error ?? null,
        quorum: outcome.quorum ?? null,
      });
      timeline.record('put', op.t1, op.t1 - op.t0, outcome.status === 'ok');
    } else if (op.o === 'get') {
      gets += 1;
      timeline.record('get', op.t1, op.t1 - op.t0, op.s === 200 || op.s === 404);
    }
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  const abort = () => {
    child.kill('SIGINT');
    setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
  };
  options.signal?.addEventListener('abort', abort, { once: true });
  // A hard bound beyond k6's own: duration + its graceful stop + slack.
  const hardStop = setTimeout(abort, profile.duration + profile.timeout + 60_000);
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', (c) => resolve(c));
    child.once('error', () => resolve(-1));
  });
  clearTimeout(hardStop);
  options.signal?.removeEventListener('abort', abort);
  const notes = [`k6 exited with ${code}`];
  let dropped = 0;
  if (existsSync(options.summaryFile)) {
    try {
      const summary = JSON.parse(readFileSync(options.summaryFile, 'utf8')) as {
        metrics?: Record<string, { values?: Record<string, number> }>;
      };
      dropped = summary.metrics?.dropped_iterations?.values?.count ?? 0;
      notes.push(`k6 summary: ${options.summaryFile}`);
    } catch {
      notes.push('k6 summary unreadable');
    }
  }
  return {
    engine: 'k6',
    startedAt,
    endedAt: Date.now(),
    arrivals: puts + gets + dropped,
    dropped,
    puts,
    gets,
    notes,
  };
}
