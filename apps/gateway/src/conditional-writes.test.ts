import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '@redoubt/records';
import { TestCluster } from './testing/test-cluster.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.start();
}, 180_000); // four processes to start on a shared machine

afterAll(async () => {
  await cluster?.stop();
});

const path = (key: string) => `/v1/kv/${encodeURIComponent(key)}`;
const put = (key: string, body: string, headers: Record<string, string> = {}) =>
  cluster.request(path(key), { method: 'PUT', body, headers: { 'content-type': 'text/plain', ...headers } });
const del = (key: string, headers: Record<string, string> = {}) =>
  cluster.request(path(key), { method: 'DELETE', headers });
const serialGet = (key: string) =>
  cluster.request(path(key), { headers: { 'x-redoubt-consistency': 'serial' } });

describe('conditional writes', () => {
  it('If-None-Match: * creates once; the second answers 412 with the current ETag', async () => {
    const first = await put('create-once', 'a', { 'if-none-match': '*' });
    expect(first.status).toBe(201);
    const body = (await first.json()) as { version: string; conditional: boolean; roundTrips: number };
    expect(body).toMatchObject({ key: 'create-once', confirmed: 2, conditional: true, roundTrips: 3 });
    expect(first.headers.get('etag')).toBe(`"${body.version}"`);

    const second = await put('create-once', 'b', { 'if-none-match': '*' });
    expect(second.status).toBe(412);
    expect(second.headers.get('etag')).toBe(`"${body.version}"`);
    const error = (await second.json()) as { error: { code: string; details: { currentEtag: string } } };
    expect(error.error.code).toBe('PRECONDITION_FAILED');
    expect(error.error.details.currentEtag).toBe(`"${body.version}"`);
    expect(await (await cluster.get('create-once')).text()).toBe('a');
  });

  it('If-Match: "<etag>" writes only over that version; a stale ETag answers 412', async () => {
    const created = await put('cas', '1', { 'if-none-match': '*' });
    const v1 = created.headers.get('etag')!;
    const updated = await put('cas', '2', { 'if-match': v1 });
    expect(updated.status).toBe(201);
    const v2 = updated.headers.get('etag')!;
    expect(v2 > v1).toBe(true);
    const stale = await put('cas', '3', { 'if-match': v1 });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('etag')).toBe(v2);
    const read = await serialGet('cas');
    expect(read.status).toBe(200);
    expect(await read.text()).toBe('2');
    expect(read.headers.get('etag')).toBe(v2);
  });

  it('conditional DELETE, then If-Match on the deleted key fails with no ETag, and a create succeeds again', async () => {
    const v1 = (await put('cd', 'x', { 'if-none-match': '*' })).headers.get('etag')!;
    const removed = await del('cd', { 'if-match': v1 });
    expect(removed.status).toBe(204);
    expect((await serialGet('cd')).status).toBe(404);
    const again = await del('cd', { 'if-match': v1 });
    expect(again.status).toBe(412);
    expect(again.headers.get('etag')).toBeNull();
    expect(((await again.json()) as { error: { details: unknown } }).error.details).toEqual({
      currentEtag: null,
    });
    expect((await put('cd', 'y', { 'if-match': '*' })).status).toBe(412);
    expect((await put('cd', 'y', { 'if-none-match': '*' })).status).toBe(201);
    expect((await put('cd', 'z', { 'if-match': '*' })).status).toBe(201);
  });

  it('If-Match on a key never written answers 412 (the condition names a version that does not exist)', async () => {
    const res = await put('never-written', 'v', { 'if-match': '"000000000001.0000.gw1"' });
    expect(res.status).toBe(412);
    expect((await cluster.get('never-written')).status).toBe(404);
  });

  it('sees plain writes: If-Match with the ETag of a plain PUT succeeds, and a plain PUT after a CAS wins', async () => {
    const plain = await put('mixed', 'plain');
    const etag = plain.headers.get('etag')!;
    const cas = await put('mixed', 'cas', { 'if-match': etag });
    expect(cas.status).toBe(201);
    expect((await put('mixed', 'again', { 'if-match': etag })).status).toBe(412);
    const later = await put('mixed', 'plain-later');
    expect(later.headers.get('etag')! > cas.headers.get('etag')!).toBe(true);
    expect(await (await serialGet('mixed')).text()).toBe('plain-later');
  });

  it.each([
    ['both headers', 'PUT', { 'if-match': '*', 'if-none-match': '*' }, 'CONDITION_INVALID'],
    ['a weak ETag', 'PUT', { 'if-match': 'W/"000000000001.0000.gw1"' }, 'CONDITION_INVALID'],
    ['an unquoted ETag', 'PUT', { 'if-match': '000000000001.0000.gw1' }, 'CONDITION_INVALID'],
    [
      'a list of ETags',
      'PUT',
      { 'if-match': '"000000000001.0000.gw1", "000000000002.0000.gw1"' },
      'CONDITION_INVALID',
    ],
    ['an ETag that is no version', 'PUT', { 'if-match': '"hello"' }, 'CONDITION_INVALID'],
    [
      'If-None-Match with an ETag',
      'PUT',
      { 'if-none-match': '"000000000001.0000.gw1"' },
      'CONDITION_INVALID',
    ],
    ['If-None-Match: * on DELETE', 'DELETE', { 'if-none-match': '*' }, 'CONDITION_INVALID'],
    [
      'a consistency level with a condition',
      'PUT',
      { 'if-none-match': '*', 'x-redoubt-consistency': 'one' },
      'CONSISTENCY_INVALID',
    ],
    [
      'serial on a write without a condition',
      'PUT',
      { 'x-redoubt-consistency': 'serial' },
      'CONSISTENCY_INVALID',
    ],
  ])('refuses %s with 400 naming the problem, and writes nothing', async (_name, method, headers, code) => {
    const key = `bad-${code}-${Math.random()}`;
    const res = await cluster.request(path(key), {
      method,
      body: method === 'PUT' ? 'x' : undefined,
      headers,
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(10);
    expect((await serialGet(key)).status).toBe(404);
  });

  it('keeps its promises across a data node restart (acceptor state is durable)', async () => {
    const node = cluster.dataNodeIds[0]!;
    const key = 'durable-promise';
    const prepare = (ballot: string) =>
      fetch(`${cluster.nodeUrl(node)}/internal/v1/paxos/prepare`, {
        method: 'POST',
        headers: { 'x-redoubt-cluster-token': cluster.clusterToken, 'content-type': 'application/msgpack' },
        body: encodeMessage({ partition: cluster.partitionOfKey(key), key, ballot }),
      }).then(async (r) =>
        decodeMessage<{ promised: boolean; higher?: string }>(Buffer.from(await r.arrayBuffer())),
      );
    expect((await prepare('000000000009.0000.gwx')).promised).toBe(true);
    await cluster.node(node).kill();
    await cluster.node(node).start();
    expect(await prepare('000000000008.0000.gwx')).toEqual({
      promised: false,
      higher: '000000000009.0000.gwx',
    });
    const unauthenticated = await fetch(`${cluster.nodeUrl(node)}/internal/v1/paxos/prepare`, {
      method: 'POST',
    });
    expect(unauthenticated.status).toBe(401);
  });
});
