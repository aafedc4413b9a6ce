import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceProcess, freePort } from '@redoubt/local-stack';
import { DataNodeClient } from '@redoubt/cluster-client';
import { makeRecord, formatVersion } from '@redoubt/records';
import { partitionOf } from '@redoubt/hashing';

const dir = mkdtempSync(join(tmpdir(), 'bk-'));
const port = await freePort();
const token = 'x'.repeat(32);
const p = new ServiceProcess({
  name: 'data-1',
  app: 'data',
  env: {
    NODE_ID: 'd1',
    DATA_PORT: String(port),
    DATA_DIR: dir,
    CLUSTER_TOKEN: token,
    PARTITIONS: '8',
    LOG_LEVEL: 'warn',
  },
  readyUrl: `http://127.0.0.1:${port}/readyz`,
  log: 'inherit',
});
const t0 = Date.now();
await p.start();
console.log('started in', Date.now() - t0);
const c = new DataNodeClient({ id: 'd1', url: `http://127.0.0.1:${port}`, clusterToken: token });
for (let i = 0; i < 20; i++) {
  const key = `k${i}`;
  const part = partitionOf(key, 8);
  await c.put(
    part,
    makeRecord({
      key,
      value: Buffer.from('v' + i),
      contentType: 'text/plain',
      version: formatVersion({ wall: Date.now(), logical: i, writer: 'gw1' }),
      tombstone: false,
    }),
  );
}
console.log(await c.listPartitions());
let n = 0;
for await (const r of c.streamOut(0, { onEnd: (s) => console.log('end', s) } as never)) {
  n++;
  console.log(r.key, r.version);
}
console.log(n, await c.digest(0));
await c.close();
await p.stop();
