import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The s3rver entry point, and how to run it (see s3rver-main.ts for the legacy-provider flag). */
export const S3RVER_MAIN = fileURLToPath(new URL('../s3rver-main.ts', import.meta.url));
export const S3RVER_NODE_ARGS = ['--openssl-legacy-provider', '--import', 'tsx', S3RVER_MAIN];

export interface S3rverProcess {
  endpoint: string;
  port: number;
  accessKeyId: string;
  secretAccessKey: string;
  process: ChildProcess;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
}

/**
 * Starts a real s3rver process on 127.0.0.1 (a free port unless given) with a generated key pair and
 * the buckets created, and resolves once it listens.
 */
export async function startS3rver(options: {
  dir: string;
  buckets?: string[];
  port?: number;
  accessKeyId?: string;
  secretAccessKey?: string;
}): Promise<S3rverProcess> {
  const accessKeyId = options.accessKeyId ?? `AK${randomBytes(9).toString('hex').toUpperCase()}`;
  const secretAccessKey = options.secretAccessKey ?? randomBytes(24).toString('base64url');
  const child = spawn(process.execPath, S3RVER_NODE_ARGS, {
    env: {
      ...process.env,
      S3_HOST: '127.0.0.1',
      S3_PORT: String(options.port ?? 0),
      S3_DIR: options.dir,
      S3_ACCESS_KEY_ID: accessKeyId,
      S3_SECRET_ACCESS_KEY: secretAccessKey,
      S3_BUCKETS: (options.buckets ?? []).join(','),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start in 30 s: ${stderr}`)), 30_000);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        const ready = JSON.parse(line) as { ready?: boolean; port?: number };
        if (ready.ready && ready.port) {
          clearTimeout(timer);
          resolve(ready.port);
        }
      } catch {
        // not the ready line
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with ${code}: ${stderr}`));
    });
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    accessKeyId,
    secretAccessKey,
    process: child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
