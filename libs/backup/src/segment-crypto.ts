import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Transform } from 'node:stream';

/**
 * Encrypted segments, format 2 (docs/decisions/0008-backup-encryption-and-signing.md): the compressed body is cut
 * into fixed-size chunks, each its own AES-256-GCM message, in the spirit of the STREAM construction
 * (Hoang, Reyhanitabar, Rogaway, Vizár) and of Tink's AES-GCM-HKDF streaming AEAD:
 *
 *   header: magic "RDBKSEG2" (8) | flags u8 (1 = encrypted) | codec u8 | reserved u16 |
 *           chunk bytes u32 (plaintext per chunk) | salt (16, random per segment)
 *   body:   chunk 0 ciphertext | tag (16) | chunk 1 ciphertext | tag | ... | last chunk (0..chunk bytes) | tag
 *
 * - Each segment gets its own key, HKDF-SHA-256(backup key, salt), so the per-chunk nonce can simply be the
 *   chunk index: no random-nonce birthday bound however many segments a key writes over the years.
 * - The additional data of every chunk is the header, the backup id, the partition, the segment index, the
 *   chunk index and a last-chunk flag. A chunk moved to another place (segment, backup, partition, or
 *   another position) fails its tag; a segment cut at a chunk boundary fails too, because its new last
 *   chunk was sealed with the flag off.
 * - The reader releases a chunk's plaintext only after that chunk's tag verified: at most one chunk (1 MiB
 *   by default) is held in memory, and nothing unauthenticated ever reaches the decompressor.
 */
export const CHUNKED_MAGIC = Buffer.from('RDBKSEG2', 'ascii');
export const CHUNKED_HEADER_BYTES = 32;
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
/** Readers refuse larger chunks: a chunk is buffered whole, so this bounds a reader's memory. */
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
const FLAG_ENCRYPTED = 1;
const SALT_BYTES = 16;
const TAG_BYTES = 16;
const SUBKEY_INFO = Buffer.from('redoubt backup segment v2', 'ascii');

/** Where a segment belongs: bound into every chunk's additional data. */
export interface SegmentBinding {
  backupId: string;
  partition: number;
  segment: number;
}

export interface ChunkedHeader {
  codecId: number;
  chunkBytes: number;
  salt: Buffer;
  /** The header's own bytes (authenticated with every chunk). */
  raw: Buffer;
}

export function encodeChunkedHeader(codecId: number, chunkBytes = DEFAULT_CHUNK_BYTES): ChunkedHeader {
  const raw = Buffer.alloc(CHUNKED_HEADER_BYTES);
  CHUNKED_MAGIC.copy(raw, 0);
  raw.writeUInt8(FLAG_ENCRYPTED, 8);
  raw.writeUInt8(codecId, 9);
  raw.writeUInt32BE(chunkBytes, 12);
  const salt = randomBytes(SALT_BYTES);
  salt.copy(raw, 16);
  return { codecId, chunkBytes, salt, raw };
}

/** Undefined when the bytes do not start with a well-formed format-2 header. */
export function decodeChunkedHeader(bytes: Buffer): ChunkedHeader | undefined {
  if (bytes.length < CHUNKED_HEADER_BYTES || !bytes.subarray(0, 8).equals(CHUNKED_MAGIC)) return undefined;
  if (bytes.readUInt8(8) !== FLAG_ENCRYPTED || bytes.readUInt16BE(10) !== 0) return undefined;
  const chunkBytes = bytes.readUInt32BE(12);
  if (chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) return undefined;
  const raw = Buffer.from(bytes.subarray(0, CHUNKED_HEADER_BYTES));
  return { codecId: raw.readUInt8(9), chunkBytes, salt: raw.subarray(16, 32), raw };
}

function segmentKey(key: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', key, salt, SUBKEY_INFO, 32));
}

function nonceOf(index: number): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(index, 8);
  return iv;
}

function additionalData(
  header: ChunkedHeader,
  binding: SegmentBinding,
  index: number,
  last: boolean,
): Buffer {
  const id = Buffer.from(binding.backupId, 'utf8');
  const tail = Buffer.alloc(4 + id.length + 13);
  let at = tail.writeUInt32BE(id.length, 0);
  at += id.copy(tail, at);
  at = tail.writeUInt32BE(binding.partition, at);
  at = tail.writeUInt32BE(binding.segment, at);
  at = tail.writeUInt32BE(index, at);
  tail.writeUInt8(last ? 1 : 0, at);
  return Buffer.concat([header.raw, tail]);
}

/**
 * A transform from the compressed body to sealed chunks. It holds back one chunk until it knows whether
 * more follows, so the last chunk (possibly empty) is always the one sealed with the last flag on.
 */
export function createChunkSealer(key: Buffer, header: ChunkedHeader, binding: SegmentBinding): Transform {
  const subkey = segmentKey(key, header.salt);
  const chunk = Buffer.allocUnsafe(header.chunkBytes);
  let filled = 0;
  let index = 0;
  const seal = (stream: Transform, plain: Buffer, last: boolean): void => {
    const cipher = createCipheriv('aes-256-gcm', subkey, nonceOf(index));
    cipher.setAAD(additionalData(header, binding, index, last));
    index++;
    stream.push(cipher.update(plain)); // a new buffer: `chunk` can be refilled at once
    cipher.final(); // GCM: no bytes left over
    stream.push(cipher.getAuthTag());
  };
  return new Transform({
    transform(data: Buffer, _encoding, callback) {
      for (let at = 0; at < data.length;) {
        // A full chunk is sealed only once more data arrives: it is then known not to be the last.
        if (filled === header.chunkBytes) {
          seal(this, chunk, false);
          filled = 0;
        }
        const copied = data.copy(chunk, filled, at);
        filled += copied;
        at += copied;
      }
      callback();
    },
    flush(callback) {
      seal(this, chunk.subarray(0, filled), true);
      callback();
    },
  });
}

/**
 * Verifies and decrypts the chunks of a body of `bodyBytes` bytes read from `body`, yielding each chunk's
 * plaintext only after its tag verified. `corrupt` builds the error (naming the file) for anything wrong.
 */
export async function* openChunks(
  body: AsyncIterable<Buffer>,
  bodyBytes: number,
  key: Buffer,
  header: ChunkedHeader,
  binding: SegmentBinding,
  corrupt: (what: string) => Error,
): AsyncGenerator<Buffer> {
  const sealed = header.chunkBytes + TAG_BYTES;
  const chunks = Math.max(1, Math.ceil(bodyBytes / sealed));
  const lastBytes = bodyBytes - (chunks - 1) * sealed;
  if (lastBytes < TAG_BYTES) throw corrupt('its last encrypted chunk is cut short (truncated)');
  const subkey = segmentKey(key, header.salt);
  let buffered: Buffer[] = [];
  let bufferedBytes = 0;
  let index = 0;
  const open = (record: Buffer): Buffer => {
    const last = index === chunks - 1;
    const decipher = createDecipheriv('aes-256-gcm', subkey, nonceOf(index));
    decipher.setAAD(additionalData(header, binding, index, last));
    decipher.setAuthTag(record.subarray(record.length - TAG_BYTES));
    const plain = decipher.update(record.subarray(0, record.length - TAG_BYTES));
    try {
      decipher.final();
    } catch {
      throw corrupt(
        `chunk ${index} of ${chunks} failed AES-GCM authentication (altered, truncated, moved from another ` +
          'segment, backup or partition, or written under another key)',
      );
    }
    index++;
    return plain;
  };
  for await (const piece of body) {
    buffered.push(piece);
    bufferedBytes += piece.length;
    while (index < chunks) {
      const need = index === chunks - 1 ? lastBytes : sealed;
      if (bufferedBytes < need) break;
      const all = Buffer.concat(buffered, bufferedBytes);
      const plain = open(all.subarray(0, need));
      buffered = [all.subarray(need)];
      bufferedBytes -= need;
      yield plain;
    }
  }
  if (index < chunks || bufferedBytes > 0) throw corrupt('its encrypted body has another length than read');
}
