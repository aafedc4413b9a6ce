// Preloaded into every Node process of a profiled stack (NODE_OPTIONS=--import <this file>; Node does not
// allow --cpu-prof in NODE_OPTIONS): profiles the main thread with the inspector and writes
// CPU.0.0.<pid>.0.1.cpuprofile into REDOUBT_CPU_PROFILE_DIR when the process exits (the inspector session
// of the same thread answers synchronously, so this works inside an 'exit' handler).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.REDOUBT_CPU_PROFILE_DIR;
if (dir && isMainThread) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  process.on('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (!error)
        writeFileSync(join(dir, `CPU.0.0.${process.pid}.0.1.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
