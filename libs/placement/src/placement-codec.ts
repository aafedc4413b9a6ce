import { createHash } from 'node:crypto';
import { isRedoubtError, RedoubtError } from '@redoubt/errors';
import { z } from 'zod';
import { createMatrix } from './placement-matrix.js';
import type { PlacementJSON, PlacementMatrix, ServerSpec } from './placement-types.js';
import { checkEpoch, checkPartitions, checkReplicas, checkServers } from './server-list.js';

/**
 * Two wire forms of a matrix, both carrying the epoch and a SHA-256 checksum.
 *
 * Binary (little-endian), the canonical form; the checksum is over everything before it:
 *   "RDPM" | version u8 = 1 | 3 reserved bytes | epoch u64 | P u32 | R u16 | T u16
 *   | T x (id length u16, id UTF-8, zone length u16, zone UTF-8, weight f64) | P*R cells u16 | SHA-256 (32 bytes)
 * JSON: the same fields, cells as base64 of the u16 array, and `checksum: "sha256:<hex>"`, the SHA-256 of the
 * same binary body, so both forms of one matrix carry the same checksum.
 *
 * Decoding rejects, with PLACEMENT_DECODE_FAILED, anything malformed (wrong magic, version, lengths, field
 * types, a server list or cells that cannot form a matrix), and with PLACEMENT_CHECKSUM_MISMATCH a well-formed
 * input whose content does not match its checksum.
 */
const MAGIC = [0x52, 0x44, 0x50, 0x4d]; // "RDPM"
const VERSION = 1;
const FIXED_HEADER = 24;
const CHECKSUM_BYTES = 32;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function decodeFailed(message: string, cause?: unknown): RedoubtError {
  return new RedoubtError(
    'PLACEMENT_DECODE_FAILED',
    `cannot decode placement: ${message}`,
    {},
    cause === undefined ? undefined : { cause },
  );
}

function cellBytes(cells: Uint16Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(cells.buffer, cells.byteOffset, cells.byteLength);
  const bytes = new Uint8Array(cells.length * 2);
  const view = new DataView(bytes.buffer);
  cells.forEach((cell, i) => view.setUint16(i * 2, cell, true));
  return bytes;
}

function cellsFromBytes(bytes: Uint8Array): Uint16Array {
  const cells = new Uint16Array(bytes.length / 2);
  if (LITTLE_ENDIAN_HOST) new Uint8Array(cells.buffer).set(bytes);
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < cells.length; i++) cells[i] = view.getUint16(i * 2, true);
  }
  return cells;
}

interface Fields {
  epoch: number;
  partitions: number;
  replicas: number;
  servers: readonly ServerSpec[];
}

/** The binary form without its checksum. */
function encodeBody(fields: Fields, cells: Uint8Array): Uint8Array {
  const names = fields.servers.map((server) => [utf8.encode(server.id), utf8.encode(server.zone)] as const);
  for (const [id, zone] of names) {
    if (id.length > 0xffff || zone.length > 0xffff) {
      throw new RedoubtError('PLACEMENT_INVALID', 'a server id or zone is longer than 65535 bytes');
    }
  }
  const serverBytes = names.reduce((sum, [id, zone]) => sum + 2 + id.length + 2 + zone.length + 8, 0);
  const body = new Uint8Array(FIXED_HEADER + serverBytes + cells.length);
  const view = new DataView(body.buffer);
  body.set(MAGIC, 0);
  body[4] = VERSION;
  view.setBigUint64(8, BigInt(fields.epoch), true);
  view.setUint32(16, fields.partitions, true);
  view.setUint16(20, fields.replicas, true);
  view.setUint16(22, fields.servers.length, true);
  let offset = FIXED_HEADER;
  names.forEach(([id, zone], i) => {
    view.setUint16(offset, id.length, true);
    body.set(id, offset + 2);
    offset += 2 + id.length;
    view.setUint16(offset, zone.length, true);
    body.set(zone, offset + 2);
    offset += 2 + zone.length;
    view.setFloat64(offset, fields.servers[i]!.weight, true);
    offset += 8;
  });
  body.set(cells, offset);
  return body;
}

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

export function toBinary(m: PlacementMatrix): Uint8Array {
  const body = encodeBody(m, cellBytes(m.cells));
  const out = new Uint8Array(body.length + CHECKSUM_BYTES);
  out.set(body, 0);
  out.set(sha256(body), body.length);
  return out;
}

export function toJSON(m: PlacementMatrix): PlacementJSON {
  const cells = cellBytes(m.cells);
  return {
    format: 'redoubt.placement',
    version: VERSION,
    epoch: m.epoch,
    partitions: m.partitions,
    replicas: m.replicas,
    servers: m.servers.map(({ id, zone, weight }) => ({ id, zone, weight })),
    cells: Buffer.from(cells.buffer, cells.byteOffset, cells.byteLength).toString('base64'),
    checksum: `sha256:${sha256(encodeBody(m, cells)).toString('hex')}`,
  };
}

export function fromBinary(bytes: Uint8Array): PlacementMatrix {
  if (!(bytes instanceof Uint8Array)) throw decodeFailed('expected a Uint8Array');
  if (bytes.length < FIXED_HEADER + CHECKSUM_BYTES) {
    throw decodeFailed(`${bytes.length} bytes is shorter than the smallest placement`);
  }
  if (MAGIC.some((byte, i) => bytes[i] !== byte)) throw decodeFailed('not a placement (bad magic)');
  if (bytes[4] !== VERSION) throw decodeFailed(`unsupported version ${bytes[4]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const epoch = Number(view.getBigUint64(8, true));
  const partitions = view.getUint32(16, true);
  const replicas = view.getUint16(20, true);
  const serverCount = view.getUint16(22, true);
  const end = bytes.length - CHECKSUM_BYTES;
  let offset = FIXED_HEADER;
  const readText = (what: string): string => {
    if (offset + 2 > end) throw decodeFailed(`truncated in ${what}`);
    const length = view.getUint16(offset, true);
    if (offset + 2 + length > end) throw decodeFailed(`truncated in ${what}`);
    const slice = bytes.subarray(offset + 2, offset + 2 + length);
    offset += 2 + length;
    try {
      return utf8Strict.decode(slice);
    } catch (error) {
      throw decodeFailed(`${what} is not valid UTF-8`, error);
    }
  };
  const servers: ServerSpec[] = [];
  for (let i = 0; i < serverCount; i++) {
    const id = readText(`server #${i} id`);
    const zone = readText(`server #${i} zone`);
    if (offset + 8 > end) throw decodeFailed(`truncated in server #${i} weight`);
    servers.push({ id, zone, weight: view.getFloat64(offset, true) });
    offset += 8;
  }
  const cellLength = partitions * replicas * 2;
  if (end - offset !== cellLength) {
    throw decodeFailed(
      `expected ${cellLength} bytes of cells for ${partitions} x ${replicas}, found ${end - offset}`,
    );
  }
  const expected = bytes.subarray(end);
  if (!sha256(bytes.subarray(0, end)).equals(expected)) {
    throw new RedoubtError('PLACEMENT_CHECKSUM_MISMATCH', 'the placement does not match its checksum', {
      epoch,
    });
  }
  return assemble({ epoch, partitions, replicas, servers }, cellsFromBytes(bytes.subarray(offset, end)));
}

const placementJsonSchema = z.object({
  format: z.literal('redoubt.placement'),
  version: z.literal(VERSION),
  epoch: z.number().int().nonnegative(),
  partitions: z.number().int().positive(),
  replicas: z.number().int().positive().max(0xffff),
  servers: z.array(z.object({ id: z.string(), zone: z.string(), weight: z.number() })).max(0xffff),
  cells: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'cells must be base64'),
  checksum: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'checksum must be "sha256:" and 64 hex digits'),
});

/** Accepts the object from toJSON, or its JSON text. */
export function fromJSON(json: unknown): PlacementMatrix {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (error) {
      throw decodeFailed('not valid JSON', error);
    }
  }
  const parsed = placementJsonSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw decodeFailed(`${issue.path.join('.') || 'input'}: ${issue.message}`);
  }
  const { epoch, partitions, replicas, servers, cells, checksum } = parsed.data;
  const bytes = new Uint8Array(Buffer.from(cells, 'base64'));
  if (bytes.length !== partitions * replicas * 2) {
    throw decodeFailed(
      `expected ${partitions * replicas * 2} bytes of cells for ${partitions} x ${replicas}, found ${bytes.length}`,
    );
  }
  const fields = { epoch, partitions, replicas, servers };
  let body: Uint8Array;
  try {
    body = encodeBody(fields, bytes);
  } catch (error) {
    throw decodeFailed(error instanceof Error ? error.message : String(error), error);
  }
  if (`sha256:${sha256(body).toString('hex')}` !== checksum) {
    throw new RedoubtError('PLACEMENT_CHECKSUM_MISMATCH', 'the placement does not match its checksum', {
      epoch,
    });
  }
  return assemble(fields, cellsFromBytes(bytes));
}

/** The checks that make decoded parts a matrix the rest of the library can index safely. */
function assemble(fields: Fields, cells: Uint16Array): PlacementMatrix {
  let servers: readonly ServerSpec[];
  try {
    servers = checkServers(fields.servers);
    checkEpoch(fields.epoch);
    checkPartitions(fields.partitions);
    checkReplicas(fields.replicas, servers.length);
  } catch (error) {
    if (isRedoubtError(error)) throw decodeFailed(`${error.message} (${error.code})`, error);
    throw error;
  }
  for (let i = 0; i < cells.length; i++) {
    if (cells[i]! >= servers.length) {
      const p = Math.floor(i / fields.replicas);
      throw decodeFailed(`partition ${p} points at server #${cells[i]}, there are ${servers.length}`);
    }
  }
  return createMatrix({ ...fields, servers, cells });
}
