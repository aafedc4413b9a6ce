import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { makeRecord, formatVersion } from '@redoubt/records';
import { writeSegments, checkSegmentHash, readSegmentRecords } from '../src/index.js';
import { recordFrameChunks } from '@redoubt/cluster-client';
const dir = await mkdtemp(join(tmpdir(), 'ps-'));
const N = 50_000;
const recs = Array.from({ length: N }, (_, i) =>
  makeRecord({
    key: `k-${i}`,
    value: Buffer.from(JSON.stringify({ id: i, body: randomBytes(1990).toString('hex') })),
    contentType: 'application/json',
    version: formatVersion({ wall: 1e12 + i, logical: 0, writer: 'w' }),
    tombstone: false,
  }),
);
async function* gen() {
  for (const r of recs) yield r;
}
let t = performance.now();
const w = await writeSegments(gen(), {
  dir,
  compression: { codec: 'brotli', level: 1 },
  key: Buffer.alloc(32, 1),
  segmentBytes: 64 << 20,
});
const wt = performance.now() - t;
console.log(
  'write',
  (w.rawBytes / 1e6).toFixed(0),
  'MB in',
  wt.toFixed(0),
  'ms =',
  (w.rawBytes / 1e3 / wt).toFixed(0),
  'MB/s; stored',
  (w.bytes / 1e6).toFixed(0),
);
t = performance.now();
for (const s of w.segments) await checkSegmentHash(join(dir, s.name), s);
console.log('hash', (w.rawBytes / 1e3 / (performance.now() - t)).toFixed(0), 'MB/s (raw equiv)');
t = performance.now();
let n = 0;
for (const s of w.segments)
  for await (const _r of readSegmentRecords(
    join(dir, s.name),
    { info: s, codec: 'brotli', encrypted: true },
    Buffer.alloc(32, 1),
  ))
    n++;
console.log('read', n, (w.rawBytes / 1e3 / (performance.now() - t)).toFixed(0), 'MB/s');
t = performance.now();
let b = 0;
for await (const c of recordFrameChunks(recs)) b += (c as Buffer).length;
console.log('frame encode', (b / 1e3 / (performance.now() - t)).toFixed(0), 'MB/s');
await rm(dir, { recursive: true });
