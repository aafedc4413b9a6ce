import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { RedoubtError } from '@redoubt/errors';
import { homePaths, readStackFile, type StackFile } from '@redoubt/local-stack';

/** Where the monitor is and the key to talk to it with. */
export interface MonitorTarget {
  url: string;
  adminKey: string;
  /** Where each came from (for error messages). */
  source: string;
}

/**
 * The stack.json of a running `npm start`: `$REDOUBT_HOME/stack.json`, else the nearest `.redoubt/stack.json`
 * from the current directory upwards.
 */
export function findStackFile(
  cwd = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): { path: string; stack: StackFile } | undefined {
  const candidates: string[] = [];
  if (env.REDOUBT_HOME) candidates.push(homePaths(resolve(env.REDOUBT_HOME)).stackFile);
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    candidates.push(homePaths(join(dir, '.redoubt')).stackFile);
    if (dir === dirname(dir)) break;
  }
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    const stack = readStackFile(path);
    if (stack) return { path, stack };
  }
  return undefined;
}

/**
 * The monitor to talk to: `--monitor`/`--admin-key`, else REDOUBT_MONITOR_URL / REDOUBT_ADMIN_KEY, else the
 * running local stack (its monitor process and admin key in stack.json).
 */
export function resolveMonitorTarget(
  flags: { monitor?: string; adminKey?: string },
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): MonitorTarget {
  let url = flags.monitor ?? env.REDOUBT_MONITOR_URL;
  let adminKey = flags.adminKey ?? env.REDOUBT_ADMIN_KEY;
  let source = flags.monitor ? '--monitor' : env.REDOUBT_MONITOR_URL ? 'REDOUBT_MONITOR_URL' : '';
  if (!url || !adminKey) {
    const found = findStackFile(cwd, env);
    if (found) {
      const monitors = found.stack.processes.filter((p) => p.role === 'monitor');
      const running = monitors.find((p) => p.state === 'running') ?? monitors[0];
      if (!url && running) {
        url = running.url;
        source = found.path;
      }
      adminKey ??= found.stack.keys.adminKey;
    }
  }
  if (!url)
    throw new RedoubtError(
      'CONFIG_INVALID',
      'no monitor to talk to: pass --monitor <url> or set REDOUBT_MONITOR_URL (or run it inside a checkout where `npm start` runs a monitor)',
    );
  if (!adminKey)
    throw new RedoubtError('CONFIG_INVALID', 'no admin key: pass --admin-key <key> or set REDOUBT_ADMIN_KEY');
  return { url: url.replace(/\/+$/, ''), adminKey, source };
}
