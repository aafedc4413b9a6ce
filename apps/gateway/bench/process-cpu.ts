import { readFileSync } from 'node:fs';

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux); undefined if it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat (11 and 12 after the command), in clock ticks (100/s)
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Groups of processes (e.g. "gateway", "data nodes") whose CPU use is measured over a cell. */
export type ProcessGroups = Record<string, (number | undefined)[]>;

export function cpuSnapshot(groups: ProcessGroups): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, pids] of Object.entries(groups)) {
    out[name] = pids.reduce<number>(
      (sum, pid) => sum + (pid === undefined ? 0 : (processCpuMs(pid) ?? 0)),
      0,
    );
  }
  const self = process.cpuUsage();
  out['load driver'] = (self.user + self.system) / 1000;
  return out;
}

/** CPU microseconds per request for each group between two snapshots. */
export function cpuPerRequest(
  before: Record<string, number>,
  after: Record<string, number>,
  requests: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of Object.keys(after)) {
    out[name] = requests > 0 ? Math.round(((after[name]! - (before[name] ?? 0)) * 1000) / requests) : NaN;
  }
  return out;
}
