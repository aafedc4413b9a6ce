import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Roles whose clocks a chaos run may skew (docs/chaos.md, "Clock skew"). */
const SKEWABLE = ['data', 'gateway'];

/** `<home>/clock`: one offset file per skewable process (`+0s` until a chaos run writes one). */
export const clockDirOf = (home: string): string => join(home, 'clock');

/** The host's libfaketime.so.1 (Debian: /usr/lib/<triplet>/faketime, package faketime). */
export function findLibfaketime(): string | undefined {
  if (!existsSync('/usr/lib')) return undefined;
  return readdirSync('/usr/lib')
    .map((triplet) => join('/usr/lib', triplet, 'faketime', 'libfaketime.so.1'))
    .find((file) => existsSync(file));
}

/**
 * The environment that lets a chaos run skew one process's wall clock (`REDOUBT_CHAOS_CLOCK=1 npm start`):
 * libfaketime preloaded, its offset read from `<home>/clock/<name>` every second, monotonic time left
 * alone (timers keep their length). Nothing for other roles, or when the option is off.
 */
export function clockFaultEnv(
  home: string,
  instance: { name: string; role: string },
  libfaketime: string | undefined,
): Record<string, string> {
  if (!libfaketime || !SKEWABLE.includes(instance.role)) return {};
  const dir = clockDirOf(home);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, instance.name);
  writeFileSync(file, '+0s\n');
  chmodSync(file, 0o600);
  return {
    LD_PRELOAD: libfaketime,
    FAKETIME_TIMESTAMP_FILE: file,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}
