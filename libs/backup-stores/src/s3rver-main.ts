/**
 * An S3-compatible server (s3rver) as its own process: the local stack's object store (`npm start`), the
 * compose file's `s3` service, and the tests' real S3 endpoint. Run it with
 * `node --openssl-legacy-provider --import tsx libs/backup-stores/src/s3rver-main.ts`: s3rver 3.7 makes
 * ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only has in its legacy provider (without
 * the flag every paginated listing answers 500).
 *
 * Environment:
 *   S3_HOST (127.0.0.1), S3_PORT (0 = any free port), S3_DIR (required: where objects live),
 *   S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY (required, at least 16 characters: the only key pair it
 *   accepts; s3rver's built-in S3RVER/S3RVER pair is revoked), S3_BUCKETS (comma-separated, created at
 *   start when missing).
 * Prints one JSON line `{"ready":true,"port":...}` once it listens; stops on SIGTERM / SIGINT.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import S3rver from 's3rver';

const require = createRequire(import.meta.url);
// s3rver keeps its accounts in a registry keyed by access key id (signatures are checked against it).
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account.js') as {
  DUMMY_ACCOUNT: {
    createKeyPair(id: string, secret: string): void;
    revokeAccessKey(id: string): void;
  };
};

function required(name: string, minLength = 1): string {
  const value = process.env[name] ?? '';
  if (value.length < minLength) {
    console.error(`s3rver: ${name} must be set${minLength > 1 ? ` (at least ${minLength} characters)` : ''}`);
    process.exit(2);
  }
  return value;
}

const directory = required('S3_DIR');
const accessKeyId = required('S3_ACCESS_KEY_ID', 16);
const secretAccessKey = required('S3_SECRET_ACCESS_KEY', 16);
const buckets = (process.env.S3_BUCKETS ?? '')
  .split(',')
  .map((b) => b.trim())
  .filter(Boolean);
mkdirSync(directory, { recursive: true });
DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);

const server = new S3rver({
  address: process.env.S3_HOST ?? '127.0.0.1',
  port: Number(process.env.S3_PORT ?? 0),
  directory,
  silent: true,
  allowMismatchedSignatures: false,
  vhostBuckets: false,
  configureBuckets: buckets.map((name) => ({ name, configs: [] })),
});
const { port } = (await server.run()) as { port: number };
console.log(JSON.stringify({ ready: true, port, buckets }));

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
