export {
  type Version,
  type VersionParts,
  ZERO_VERSION,
  MAX_LOGICAL,
  formatVersion,
  parseVersion,
  isValidVersion,
  assertVersion,
  isValidWriterId,
  compareVersions,
  isNewer,
} from './version.js';
export { HybridClock } from './hybrid-clock.js';
export { MAX_KEY_BYTES, validateKey } from './record-key.js';
export {
  type StoredRecord,
  type RecordFields,
  checksumOf,
  makeRecord,
  makeTombstone,
  isIntact,
  assertIntact,
} from './record.js';
export { encodeMessage, decodeMessage } from './record-codec.js';
