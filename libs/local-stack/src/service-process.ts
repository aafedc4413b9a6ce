import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RedoubtError } from '@redoubt/errors';

/** The repository root, found from this file's place in libs/local-stack/src. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The TypeScript entry point of an app, run through tsx. */
export function appEntry(app: string): string {
  return resolve(REPO_ROOT, 'apps', app, 'src', 'main.ts');
}

export interface ServiceProcessOptions {
  /** Display name and log prefix, e.g. `data-1`. */
  name: string;
  /** App folder under apps/ (its src/main.ts is run), or an explicit script with `script`. */
  app?: string;
  script?: string;
  env: Record<string, string>;
  /** URL polled for readiness (200) after start, e.g. http://127.0.0.1:7101/readyz. */
  readyUrl?: string;
  readyTimeoutMs?: number;
  /** Where stdout/stderr go: a file path, 'inherit' (prefixed lines) or 'ignore'. */
  log?: string | 'inherit' | 'ignore';
}

/**
 * One app process on loopback, controllable the way faults happen: SIGKILL (crash), SIGSTOP/SIGCONT
 * (a hung node), SIGTERM (clean stop), restart with the same environment (and so the same port and data).
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private logStream: WriteStream | undefined;
  private exitWaiters: (() => void)[] = [];

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

  async start(): Promise<void> {
    if (this.running()) return;
    const script = this.options.script ?? appEntry(this.options.app ?? this.options.name);
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.pipeLogs(child);
    child.once('exit', () => {
      const waiters = this.exitWaiters;
      this.exitWaiters = [];
      waiters.forEach((w) => w());
    });
    if (this.options.readyUrl) await this.waitReady(this.options.readyTimeoutMs ?? 30_000);
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

  private pipeLogs(child: ChildProcess): void {
    const target = this.options.log ?? 'ignore';
    if (target === 'ignore') {
      child.stdout?.resume();
      child.stderr?.resume();
      return;
    }
    if (target === 'inherit') {
      const prefix = `[${this.name}] `;
      for (const stream of [child.stdout, child.stderr]) {
        let pending = '';
        stream?.setEncoding('utf8');
        stream?.on('data', (chunk: string) => {
          const lines = (pending + chunk).split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) process.stdout.write(prefix + line + '\n');
        });
      }
      return;
    }
    if (!this.logStream) {
      mkdirSync(dirname(target), { recursive: true });
      this.logStream = createWriteStream(target, { flags: 'a' });
    }
    child.stdout?.pipe(this.logStream, { end: false });
    child.stderr?.pipe(this.logStream, { end: false });
  }
}
