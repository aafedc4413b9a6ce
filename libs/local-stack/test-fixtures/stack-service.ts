// A stand-in service for supervisor and stack tests. Listens on PORT (/readyz answers 200, / answers with
// its pid, name and how many times it has started in DIR); on SIGTERM it appends NAME to STOP_LOG (so a
// test can see the stop order) and exits, unless IGNORE_SIGTERM=1 (a straggler that needs SIGKILL).
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const name = process.env.NAME ?? 'service';
let starts = 1;
if (process.env.DIR) {
  mkdirSync(process.env.DIR, { recursive: true });
  const file = join(process.env.DIR, 'starts');
  try {
    starts = Number(readFileSync(file, 'utf8')) + 1;
  } catch {
    starts = 1;
  }
  writeFileSync(file, String(starts));
}

createServer((_req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(
    JSON.stringify({ pid: process.pid, name, starts, clusterToken: process.env.CLUSTER_TOKEN ?? null }),
  );
}).listen(Number(process.env.PORT), '127.0.0.1');

process.on('SIGTERM', () => {
  if (process.env.IGNORE_SIGTERM === '1') return;
  if (process.env.STOP_LOG) appendFileSync(process.env.STOP_LOG, name + '\n');
  process.exit(0);
});
