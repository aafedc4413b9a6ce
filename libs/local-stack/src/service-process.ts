import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RedoubtError } from '@redoubt/errors';
import { waitForPort } from './wait-for-port.js';

/**
 * The repository root: the nearest folder above this file with nx.json (so it is also right when this file
 * is bundled into an app's dist/), else three levels up from libs/local-stack/src.
 */
export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

function findRepoRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
  }
  return resolve(from, '../../..');
}

/** The TypeScript entry point of an app, run through tsx. */
export function appEntry(app: string): string {
  return resolve(REPO_ROOT, 'apps', app, 'src', 'main.ts');
}

/** Receives a child's output one line at a time (without the newline). */
export type LineSink = (line: string, stream: 'stdout' | 'stderr') => void;

/** How a process ended: its exit code, or the signal that ended it. */
export interface ExitInfo {
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcessOptions {
  /** Display name and log prefix, e.g. `data-1`. */
  name: string;
  /** App folder under apps/ (its src/main.ts is run), or an explicit script with `script`. */
  app?: string;
  script?: string;
  /** A program other than a TypeScript script (e.g. `redis-server`), run with `args` instead of through tsx. */
  command?: string;
  args?: string[];
  env: Record<string, string>;
  /** URL polled for readiness (200) after start, e.g. http://127.0.0.1:7101/readyz. */
  readyUrl?: string;
  /** Or: readiness is something accepting TCP connections on this loopback port (for non-HTTP servers). */
  readyPort?: number;
  readyTimeoutMs?: number;
  /**
   * Where stdout/stderr go: a file path, 'inherit' (prefixed lines on our stdout), 'ignore', or a function
   * that receives each line.
   */
  log?: string | 'inherit' | 'ignore' | LineSink;
  /**
   * Run the child in its own process group, so that a Ctrl-C in the terminal (SIGINT to the whole
   * foreground group) reaches only the supervisor, which then stops the children in order.
   */
  detached?: boolean;
}

/**
 * One app process on loopback, controllable the way faults happen: SIGKILL (crash), SIGSTOP/SIGCONT
 * (a hung node), SIGTERM (clean stop), restart with the same environment (and so the same port and data).
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private logStream: WriteStream | undefined;
  private exitWaiters: (() => void)[] = [];
  private exitListeners: ((exit: ExitInfo) => void)[] = [];
  private last: ExitInfo | undefined;

  constructor(readonly options: ServiceProcessOptions) {}

  get name(): string {
    return this.options.name;
  }

  pid(): number | undefined {
    return this.running() ? this.child?.pid : undefined;
  }

  running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** How the last process ended (undefined while none has ended yet). */
  lastExit(): ExitInfo | undefined {
    return this.last;
  }

  /** Called on every exit of the process, expected or not; returns a function that unsubscribes. */
  onExit(listener: (exit: ExitInfo) => void): () => void {
    this.exitListeners.push(listener);
    return () => {
      this.exitListeners = this.exitListeners.filter((l) => l !== listener);
    };
  }

  async start(): Promise<void> {
    if (this.running()) return;
    const [command, args] = this.commandLine();
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: this.options.detached ?? false,
    });
    this.child = child;
    this.pipeLogs(child);
    let gone = false;
    const onGone = (code: number | null, signal: NodeJS.Signals | null) => {
      if (gone) return;
      gone = true;
      this.last = { pid: child.pid, code, signal };
      const waiters = this.exitWaiters;
      this.exitWaiters = [];
      waiters.forEach((w) => w());
      for (const listener of [...this.exitListeners]) listener(this.last);
    };
    child.once('exit', onGone);
    // A program that cannot be started (not installed: ENOENT) emits 'error' and never 'exit'; it counts
    // as an exit with status 127, as a shell would report it.
    child.once('error', (error) => {
      this.writeLine(`failed to start ${command}: ${error.message}`, 'stderr');
      if (child.pid === undefined) onGone(127, null);
    });
    const timeoutMs = this.options.readyTimeoutMs ?? 30_000;
    if (this.options.readyUrl) await this.waitReady(timeoutMs);
    else if (this.options.readyPort !== undefined)
      await waitForPort(this.options.readyPort, timeoutMs, () => this.running()).catch((error: unknown) => {
        throw this.running()
          ? error
          : new RedoubtError('REPLICA_UNAVAILABLE', `${this.name} exited before it was ready`);
      });
  }

  /** The program and arguments this process runs (TypeScript entries go through tsx). */
  commandLine(): [string, string[]] {
    if (this.options.command) return [this.options.command, this.options.args ?? []];
    const script = this.options.script ?? appEntry(this.options.app ?? this.options.name);
    return [process.execPath, ['--import', 'tsx', script]];
  }

  /** Polls the ready URL until it answers 200; fails early if the process exits. */
  async waitReady(timeoutMs: number): Promise<void> {
    const url = this.options.readyUrl;
    if (!url) return;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running())
        throw new RedoubtError('REPLICA_UNAVAILABLE', `${this.name} exited before it was ready`);
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
        await res.body?.cancel();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new RedoubtError('REPLICA_TIMEOUT', `${this.name} was not ready within ${timeoutMs} ms (${url})`);
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running()) this.child?.kill(signal);
  }

  /** SIGKILL and wait until the process is gone. */
  async kill(): Promise<void> {
    await this.terminate('SIGKILL');
  }

  /** SIGTERM (clean shutdown), escalating to SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running()) return;
    this.child?.kill('SIGCONT'); // a stopped process cannot handle SIGTERM
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.terminate('SIGTERM');
    clearTimeout(timer);
  }

  pause(): void {
    this.signal('SIGSTOP');
  }

  resume(): void {
    this.signal('SIGCONT');
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  /** Resolves when the current process exits (immediately if none runs). */
  exited(): Promise<void> {
    if (!this.running()) return Promise.resolve();
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  private async terminate(signal: NodeJS.Signals): Promise<void> {
    if (!this.running()) return;
    const gone = this.exited();
    this.child?.kill(signal);
    await gone;
  }

  private writeLine(line: string, stream: 'stdout' | 'stderr'): void {
    const target = this.options.log ?? 'ignore';
    if (typeof target === 'function') target(line, stream);
    else if (target === 'inherit') process.stdout.write(`[${this.name}] ${line}\n`);
    else if (target !== 'ignore') this.fileStream(target).write(line + '\n');
  }

  private fileStream(path: string): WriteStream {
    if (!this.logStream) {
      mkdirSync(dirname(path), { recursive: true });
      this.logStream = createWriteStream(path, { flags: 'a' });
    }
    return this.logStream;
  }

  private pipeLogs(child: ChildProcess): void {
    const target = this.options.log ?? 'ignore';
    if (target === 'ignore') {
      child.stdout?.resume();
      child.stderr?.resume();
      return;
    }
    if (typeof target === 'string' && target !== 'inherit') {
      const file = this.fileStream(target);
      child.stdout?.pipe(file, { end: false });
      child.stderr?.pipe(file, { end: false });
      return;
    }
    for (const [stream, which] of [
      [child.stdout, 'stdout'],
      [child.stderr, 'stderr'],
    ] as const) {
      let pending = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) this.writeLine(line, which);
      });
      stream?.on('end', () => {
        if (pending) this.writeLine(pending, which);
        pending = '';
      });
    }
  }
}
