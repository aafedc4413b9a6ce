/**
 * A segment file:
 *
 *   magic "RDBKSEG1" (8) | flags u8 (bit 0: encrypted) | codec u8 | reserved u16 | [iv (12) if encrypted]
 *   body: the record frames, compressed, then (if encrypted) AES-256-GCM ciphertext
 *   [tag (16) if encrypted]
 *
 * The header is authenticated as GCM additional data, so flipping the codec or the flags is caught too.
 * The manifest holds the SHA-256 of the whole file, which is what verify checks (no key needed).
 */
export const SEGMENT_MAGIC = Buffer.from('RDBKSEG1', 'ascii');
export const FLAG_ENCRYPTED = 1;
export const BASE_HEADER_BYTES = 12;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;

export function segmentName(index: number): string {
  return `seg-${String(index).padStart(6, '0')}.rbk`;
}

export function headerBytes(encrypted: boolean): number {
  return BASE_HEADER_BYTES + (encrypted ? IV_BYTES : 0);
}

export function encodeHeader(codecId: number, iv: Buffer | undefined): Buffer {
  const header = Buffer.alloc(headerBytes(iv !== undefined));
  SEGMENT_MAGIC.copy(header, 0);
  header.writeUInt8(iv ? FLAG_ENCRYPTED : 0, 8);
  header.writeUInt8(codecId, 9);
  if (iv) iv.copy(header, BASE_HEADER_BYTES);
  return header;
}

export interface SegmentHeader {
  encrypted: boolean;
  codecId: number;
  iv: Buffer | undefined;
  bytes: number;
}

/** Parses the fixed part and (when encrypted) the IV; undefined when the magic is wrong. */
export function decodeHeader(bytes: Buffer): SegmentHeader | undefined {
  if (bytes.length < BASE_HEADER_BYTES || !bytes.subarray(0, 8).equals(SEGMENT_MAGIC)) return undefined;
  const flags = bytes.readUInt8(8);
  if ((flags & ~FLAG_ENCRYPTED) !== 0) return undefined;
  const encrypted = (flags & FLAG_ENCRYPTED) !== 0;
  if (encrypted && bytes.length < BASE_HEADER_BYTES + IV_BYTES) return undefined;
  return {
    encrypted,
    codecId: bytes.readUInt8(9),
    iv: encrypted ? Buffer.from(bytes.subarray(BASE_HEADER_BYTES, BASE_HEADER_BYTES + IV_BYTES)) : undefined,
    bytes: headerBytes(encrypted),
  };
}
