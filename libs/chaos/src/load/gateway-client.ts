import { Pool } from 'undici';
import type { WriteOutcome } from '../history/write-history.js';
import { classifyWriteError, classifyWriteResponse, errorCode } from './write-outcome.js';

export type ReadResult =
  | { status: 'found'; value: string; version: string }
  | { status: 'missing'; deletedVersion: string | null }
  | { status: 'error'; error: string; httpStatus?: number };

export interface GatewayClientOptions {
  urls: readonly string[];
  apiKey: string;
  timeoutMs: number;
  /** Keep-alive connections per gateway. */
  connections?: number;
}

/**
 * The public API as a client sees it (`/v1/kv/:key`, Bearer API key), one keep-alive pool per gateway.
 * Every call is bounded by `timeoutMs` and never throws: PUTs return their classified outcome, GETs a result.
 */
export class GatewayClient {
  private readonly pools: Pool[];
  private readonly auth: string;

  constructor(private readonly options: GatewayClientOptions) {
    this.pools = options.urls.map(
      (url) => new Pool(url, { connections: options.connections ?? 32, pipelining: 1 }),
    );
    this.auth = `Bearer ${options.apiKey}`;
  }

  get size(): number {
    return this.pools.length;
  }

  url(gateway: number): string {
    return this.options.urls[gateway % this.pools.length]!;
  }

  async put(gateway: number, key: string, value: string): Promise<WriteOutcome> {
    const pool = this.pools[gateway % this.pools.length]!;
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const response = await pool.request({
        path: `/v1/kv/${encodeURIComponent(key)}`,
        method: 'PUT',
        headers: { authorization: this.auth, 'content-type': 'text/plain; charset=utf-8' },
        body: value,
        signal,
      });
      const body = await response.body.text();
      const etag = response.headers.etag;
      return classifyWriteResponse(response.statusCode, body, typeof etag === 'string' ? etag : null);
    } catch (error) {
      return classifyWriteError(error);
    }
  }

  async get(gateway: number, key: string, consistency?: 'one' | 'quorum' | 'all'): Promise<ReadResult> {
    const pool = this.pools[gateway % this.pools.length]!;
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const response = await pool.request({
        path: `/v1/kv/${encodeURIComponent(key)}`,
        method: 'GET',
        headers: {
          authorization: this.auth,
          ...(consistency ? { 'x-redoubt-consistency': consistency } : {}),
        },
        signal,
      });
      const body = await response.body.text();
      if (response.statusCode === 200) {
        const etag = response.headers.etag;
        const version = typeof etag === 'string' ? etag.replace(/^"|"$/g, '') : '';
        return { status: 'found', value: body, version };
      }
      if (response.statusCode === 404) {
        let deleted: string | null = null;
        try {
          const parsed = JSON.parse(body) as {
            error?: { code?: string; details?: { deletedVersion?: string } };
          };
          if (parsed.error?.code !== 'RECORD_NOT_FOUND')
            return { status: 'error', error: parsed.error?.code ?? 'HTTP_404', httpStatus: 404 };
          deleted = parsed.error.details?.deletedVersion ?? null;
        } catch {
          return { status: 'error', error: 'HTTP_404', httpStatus: 404 };
        }
        return { status: 'missing', deletedVersion: deleted };
      }
      let code = `HTTP_${response.statusCode}`;
      try {
        code = (JSON.parse(body) as { error?: { code?: string } }).error?.code ?? code;
      } catch {
        // keep the status
      }
      return { status: 'error', error: code, httpStatus: response.statusCode };
    } catch (error) {
      return { status: 'error', error: errorCode(error) };
    }
  }

  /** Closes the pools; one still waiting on a hung gateway after 5 s is destroyed. */
  async close(): Promise<void> {
    await Promise.all(
      this.pools.map(async (pool) => {
        const timer = setTimeout(() => void pool.destroy().catch(() => undefined), 5000);
        await pool.close().catch(() => undefined);
        clearTimeout(timer);
      }),
    );
  }
}
