export { S3BackupStore, DEFAULT_MAX_ATTEMPTS, DEFAULT_PART_BYTES, type S3StoreConfig } from './s3-store.js';
export { s3Failure } from './s3-errors.js';
export { backupStoreOpener, parseS3Location, credentialVariable, S3_QUERY_KEYS } from './target-spec.js';
