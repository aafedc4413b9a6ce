import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RedoubtError } from '@redoubt/errors';

/**
 * A clock fault through libfaketime: services started with LD_PRELOAD=libfaketime and
 * FAKETIME_TIMESTAMP_FILE=<dir>/<service> (docker: deploy/docker/chaos-clock.yml, added by `npm run
 * chaos:docker`; local: `REDOUBT_CHAOS_CLOCK=1 npm start`, libs/local-stack clock-faults.ts)
 * read their offset from that file on every clock call (FAKETIME_NO_CACHE=1: with a cache, libfaketime
 * times the cache by the faked clock, so an offset moved backwards was not seen until the faked clock
 * caught up, up to the size of the jump; measured). Writing `+30s` skews
 * the service's wall clock (Date.now, gettimeofday, CLOCK_REALTIME) 30 s ahead; monotonic time is left
 * alone (FAKETIME_DONT_FAKE_MONOTONIC=1), so timers keep working. `+0` undoes it.
 */
export async function writeClockOffset(dir: string, service: string, offsetMs: number): Promise<void> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(service))
    throw new RedoubtError('FAULT_REFUSED', `not a service name for a clock file: ${service}`);
  const seconds = offsetMs / 1000;
  // Written aside and renamed: libfaketime reads the file on every clock call, and must never see it empty
  // or half written (it would take a garbled offset, or print a parse error into the service's output).
  const file = join(dir, service);
  await writeFile(`${file}.tmp`, `${seconds >= 0 ? '+' : ''}${seconds}s\n`);
  await rename(`${file}.tmp`, file);
}
