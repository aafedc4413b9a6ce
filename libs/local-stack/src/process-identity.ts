import { readFileSync } from 'node:fs';

/**
 * When the process with this PID started (clock ticks since boot, from /proc/<pid>/stat), or undefined if
 * there is no such process or no /proc. PID plus start time names one process for good: a PID reused by
 * another program has another start time, so a leftover PID from an old stack.json is never mistaken for it.
 */
export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19]; // field 22 overall: starttime
}

/**
 * True when the process with this PID is stopped by a signal (SIGSTOP, SIGTSTP: state `T` in
 * /proc/<pid>/stat), whoever sent it; false when it runs, sleeps or is unknown. A stopped process answers
 * nothing, but a SIGCONT resumes it at once: much faster than a restart.
 */
export function processStopped(pid: number): boolean {
  return statFields(pid)?.[0] === 'T'; // field 3 overall: state
}

/** The fields of /proc/<pid>/stat after the command name (field 3 onwards), or undefined. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces; fields after it are plain.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** True while a process with this PID exists (signal 0 checks without signalling). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
