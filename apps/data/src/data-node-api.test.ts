import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_TOKEN_HEADER } from '@redoubt/http-kit';
import { decodeMessage, encodeMessage, isIntact, makeTombstone, type StoredRecord } from '@redoubt/records';
import { partitionOf } from '@redoubt/hashing';
import { DataNodeClient, internalPaths, MSGPACK_CONTENT_TYPE } from '@redoubt/cluster-client';
import {
  keysIn,
  record,
  startDataNode,
  TOKEN,
  version,
  type DataNodeHandle,
} from './testing/data-node-process.js';

let node: DataNodeHandle;
let client: DataNodeClient;
const P = 16;

beforeAll(async () => {
  node = await startDataNode({ id: 'api', partitions: P, testHooks: true });
  client = node.client();
});
afterAll(async () => {
  await node?.dispose();
});

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith(name)) total += Number(line.split(' ').pop());
  return total;
}

async function authFailures(reason: string): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('redoubt_auth_failures_total{') && l.includes(`reason="${reason}"`));
  return Number(line?.split(' ').pop());
}

describe('data node internal API', () => {
  it('serves health, readiness and metrics openly and everything internal only with the cluster token', async () => {
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${node.url}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${node.url}/metrics`)).text()).toMatch(/redoubt_data_records\{/);
    const missingBefore = await authFailures('missing');
    const invalidBefore = await authFailures('invalid');
    const none = await fetch(`${node.url}${internalPaths.partitions}`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('AUTH_MISSING');
    const wrong = await fetch(`${node.url}${internalPaths.partitions}`, {
      headers: { [CLUSTER_TOKEN_HEADER]: 'nope' },
    });
    expect(wrong.status).toBe(403);
    const intruder = new DataNodeClient({
      id: 'api',
      url: node.url,
      clusterToken: 'not-the-token-0123456789',
    });
    await expect(intruder.put(0, record(keysIn(0, P, 1)[0]!, 'x', version(1)))).rejects.toMatchObject({
      code: 'AUTH_INVALID',
    });
    await expect(intruder.digest(0)).rejects.toMatchObject({ code: 'AUTH_INVALID' });
    expect(await intruder.ready()).toBe(true);
    await intruder.close();
    // Every refusal is counted by reason, whichever route (express, the batch route, the channel) saw it.
    expect(await authFailures('missing')).toBe(missingBefore + 1);
    expect(await authFailures('invalid')).toBeGreaterThanOrEqual(invalidBefore + 3);
  });

  it('coalesces hundreds of concurrent puts and gets into few batch frames, with per-op results', async () => {
    const frames = 'redoubt_data_requests_total{route="/internal/v1/batch-channel",method="FRAME"';
    const batchesBefore = await metric(frames);
    const liveBefore = await metric('redoubt_data_log_bytes{kind="live"');
    const keys = keysIn(3, P, 300, 'batch');
    const records = keys.map((key, i) =>
      record(key, Buffer.from([i % 256, 0, 255]), version(100 + i), 'application/octet-stream'),
    );
    const outcomes = await Promise.all(records.map((r) => client.put(3, r)));
    expect(outcomes).toEqual(records.map((r) => ({ status: 'applied', current: r.version })));
    const got = await Promise.all(keys.map((key) => client.get(3, key)));
    got.forEach((g, i) => {
      expect(isIntact(g!)).toBe(true);
      expect(Buffer.from(g!.value).equals(Buffer.from(records[i]!.value))).toBe(true);
      expect(g!.contentType).toBe('application/octet-stream');
    });
    const batches = (await metric(frames)) - batchesBefore;
    // Calls made in one turn leave together: 300 puts = 256 + 44, 300 gets = 256 + 44.
    expect(batches).toBeLessThanOrEqual(4);
    expect(batches).toBeGreaterThan(0);
    expect(await client.get(3, keysIn(3, P, 301, 'batch')[300]!)).toBeNull();
    // the log engine (the default) accounts for every frame it holds
    expect(await metric('redoubt_data_log_bytes{kind="live"')).toBeGreaterThan(liveBefore + 300 * 24);
    expect(await metric('redoubt_data_log_bytes{kind="written"')).toBeGreaterThanOrEqual(
      await metric('redoubt_data_log_bytes{kind="live"'),
    );
    expect(await metric('redoubt_data_log_segments')).toBeGreaterThanOrEqual(1);
  });

  it('refuses a version further ahead of its clock than MAX_CLOCK_DRIFT_MS (60 s), on every write path', async () => {
    const [pinned, near] = keysIn(6, P, 2, 'future');
    const farAhead = version(Date.now() + 3_600_000);
    await expect(client.put(6, record(pinned!, 'pin forever', farAhead))).rejects.toMatchObject({
      code: 'VERSION_AHEAD_OF_CLOCK',
      message: expect.stringMatching(/at most 60000 ms \(MAX_CLOCK_DRIFT_MS\)/),
    });
    const single = await fetch(
      `${node.url}/internal/v1/partitions/6/records/${encodeURIComponent(pinned!)}`,
      {
        method: 'PUT',
        headers: { [CLUSTER_TOKEN_HEADER]: TOKEN, 'content-type': MSGPACK_CONTENT_TYPE },
        body: encodeMessage(record(pinned!, 'pin forever', farAhead)),
      },
    );
    expect(single.status).toBe(409);
    expect(((await single.json()) as { error: { code: string } }).error.code).toBe('VERSION_AHEAD_OF_CLOCK');
    expect(await client.get(6, pinned!)).toBeNull();
    // Within the bound (a gateway whose clock runs a little ahead) is fine, and so is the past.
    const ahead = version(Date.now() + 30_000);
    expect(await client.put(6, record(near!, 'ok', ahead))).toEqual({ status: 'applied', current: ahead });
  });

  it('keeps the newest version: stale puts are answered with the version held', async () => {
    const [key] = keysIn(5, P, 1, 'lww');
    await client.put(5, record(key!, 'new', version(50)));
    expect(await client.put(5, record(key!, 'old', version(40)))).toEqual({
      status: 'stale',
      current: version(50),
    });
    expect(await client.put(5, makeTombstone(key!, version(60)))).toEqual({
      status: 'applied',
      current: version(60),
    });
    expect(await client.get(5, key!)).toMatchObject({ tombstone: true, version: version(60) });
  });

  it('answers bad batch requests with the catalogue error in JSON, and JSON batches with MessagePack', async () => {
    const batch = (body: string | Uint8Array, headers: Record<string, string> = {}) =>
      fetch(`${node.url}${internalPaths.batch}`, {
        method: 'POST',
        headers: { [CLUSTER_TOKEN_HEADER]: TOKEN, 'content-type': MSGPACK_CONTENT_TYPE, ...headers },
        body,
      });
    const codeOf = async (res: Response) => {
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      return ((await res.json()) as { error: { code: string } }).error.code;
    };
    const denied = 'redoubt_data_requests_total{route="/internal/v1/batch",method="POST",status="403"';
    const deniedBefore = await metric(denied);
    const cases: [string, Response, number, string][] = [
      [
        'no token',
        await batch(encodeMessage({ ops: [] }), { [CLUSTER_TOKEN_HEADER]: '' }),
        401,
        'AUTH_MISSING',
      ],
      [
        'wrong token',
        await batch(encodeMessage({ ops: [] }), { [CLUSTER_TOKEN_HEADER]: 'x' }),
        403,
        'AUTH_INVALID',
      ],
      ['empty body', await batch(new Uint8Array(0)), 400, 'BODY_INVALID'],
      ['not MessagePack', await batch(Buffer.from([0xc1, 0xc1, 0xc1])), 400, 'FRAME_INVALID'],
      ['no ops', await batch(encodeMessage({ nope: 1 })), 400, 'BODY_INVALID'],
      ['too many ops', await batch(encodeMessage({ ops: new Array(4097).fill(0) })), 400, 'BODY_INVALID'],
      ['broken JSON', await batch('{', { 'content-type': 'application/json' }), 400, 'BODY_INVALID'],
      [
        'compressed',
        await batch(encodeMessage({ ops: [] }), { 'content-encoding': 'gzip' }),
        400,
        'BODY_INVALID',
      ],
    ];
    for (const [what, res, status, code] of cases) {
      expect({ what, status: res.status, code: await codeOf(res) }).toEqual({ what, status, code });
    }
    const [key] = keysIn(5, P, 1, 'json-batch');
    const res = await batch(JSON.stringify({ ops: [{ op: 'get', partition: 5, key }, { op: 'drop' }] }), {
      'content-type': 'application/json',
    });
    expect(res.status).toBe(200);
    expect(decodeMessage(Buffer.from(await res.arrayBuffer()))).toEqual({
      results: [
        { record: null },
        { error: { code: 'INVALID_ARGUMENT', message: 'op must be "put" or "get"' } },
      ],
    });
    expect((await metric(denied)) - deniedBefore).toBe(1);
  });

  it('answers WRONG_PARTITION for a key of another partition, per op, without failing the batch', async () => {
    const [key] = keysIn(7, P, 1, 'misplaced');
    const [good] = keysIn(8, P, 1, 'placed');
    const [wrongPut, wrongGet, fine] = await Promise.allSettled([
      client.put(8, record(key!, 'x', version(1))),
      client.get(8, key!),
      client.put(8, record(good!, 'x', version(1))),
    ]);
    expect(wrongPut).toMatchObject({ status: 'rejected', reason: { code: 'WRONG_PARTITION' } });
    expect(wrongGet).toMatchObject({ status: 'rejected', reason: { code: 'WRONG_PARTITION' } });
    expect(fine).toMatchObject({ status: 'fulfilled' });
    expect(partitionOf(key!, P)).toBe(7);
  });

  it('detects a corrupted record on read and in scrub, never serves it, and heals it with an intact put', async () => {
    const [key] = keysIn(9, P, 1, 'rot');
    const original = record(key!, 'precious', version(70));
    await client.put(9, original);
    const corruptBefore = await metric('redoubt_data_corrupt_records_total');
    const hook = await fetch(`${node.url}${internalPaths.testCorrupt}`, {
      method: 'POST',
      headers: { [CLUSTER_TOKEN_HEADER]: TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ partition: 9, key }),
    });
    expect(hook.status).toBe(200);
    await expect(client.get(9, key!)).rejects.toMatchObject({ code: 'RECORD_CORRUPT' });
    expect(await client.scrub({ partition: 9 })).toEqual({ checked: 1, corrupt: [{ partition: 9, key }] });
    expect(await metric('redoubt_data_corrupt_records_total')).toBeGreaterThan(corruptBefore);
    expect(await client.put(9, original)).toEqual({ status: 'applied', current: version(70) });
    expect(Buffer.from((await client.get(9, key!))!.value).toString()).toBe('precious');
    expect((await client.scrub()).corrupt).toEqual([]);
  });

  it('reports digests and partitions (with their roots), and drops a partition', async () => {
    const keys = keysIn(11, P, 20, 'drop');
    await Promise.all(keys.map((key, i) => client.put(11, record(key, `v${i}`, version(1 + i)))));
    const digest = await client.digest(11);
    expect(digest).toMatchObject({ partition: 11, records: 20 });
    expect(digest.buckets).toHaveLength(64);
    // The listing carries each partition's digest root: one call answers a whole backup sweep.
    expect((await client.listPartitions()).find((s) => s.partition === 11)).toEqual({
      partition: 11,
      records: 20,
      bytes: digest.bytes,
      root: digest.root,
    });
    await client.dropPartition(11);
    expect(await client.digest(11)).toMatchObject({ records: 0, bytes: 0 });
    expect((await client.listPartitions()).some((s) => s.partition === 11)).toBe(false);
    await expect(client.digest(P)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('serves single records over GET, PUT and DELETE with MessagePack bodies', async () => {
    const [key] = keysIn(12, P, 1, 'single/with slash');
    const headers = { [CLUSTER_TOKEN_HEADER]: TOKEN, 'content-type': MSGPACK_CONTENT_TYPE };
    const path = `${node.url}${internalPaths.record(12, key!)}`;
    expect((await fetch(path, { headers })).status).toBe(404);
    const put = await fetch(path, {
      method: 'PUT',
      headers,
      body: encodeMessage(record(key!, 'one', version(5))),
    });
    expect(decodeMessage(Buffer.from(await put.arrayBuffer()))).toEqual({
      status: 'applied',
      current: version(5),
    });
    const got = decodeMessage<StoredRecord>(
      Buffer.from(await (await fetch(path, { headers })).arrayBuffer()),
    );
    expect(Buffer.from(got.value).toString()).toBe('one');
    const del = await fetch(`${path}?version=${version(6)}`, { method: 'DELETE', headers });
    expect(decodeMessage(Buffer.from(await del.arrayBuffer()))).toEqual({
      status: 'applied',
      current: version(6),
    });
    expect((await client.get(12, key!))?.tombstone).toBe(true);
  });
});
