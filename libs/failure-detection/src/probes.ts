import { connect } from 'node:net';
import { Agent, request } from 'undici';

export interface ProbeResult {
  ok: boolean;
  latencyMs: number;
  /** What went wrong, in a few words. */
  error?: string;
  /** The failure leaves no doubt that nothing serves there (nothing listens, the name is gone). */
  definitive?: boolean;
}

/** Errors that mean "nothing is there" rather than "something is slow". */
const DEFINITIVE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function errorCode(error: unknown): string | undefined {
  const e = error as { code?: string; cause?: { code?: string } };
  return e?.code ?? e?.cause?.code;
}

function describe(error: unknown): string {
  const code = errorCode(error);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_ABORTED')
    return 'no answer in time';
  if ((error as Error)?.name === 'TimeoutError' || (error as Error)?.name === 'AbortError')
    return 'no answer in time';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host name does not resolve';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset';
  return code ?? (error as Error)?.message ?? String(error);
}

/**
 * HTTP liveness probes: `GET <url>/healthz` answers 200. One keep-alive agent for all probes, at most two
 * connections per service (a probe and the one after it may overlap when a service hangs).
 */
export class HttpProber {
  private readonly agent: Agent;

  constructor(private readonly timeoutMs: number) {
    this.agent = new Agent({
      connections: 2,
      keepAliveTimeout: 10_000,
      connect: { timeout: timeoutMs },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }

  async probe(url: string, path = '/healthz'): Promise<ProbeResult> {
    const started = performance.now();
    try {
      const response = await request(`${url}${path}`, {
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.body.dump();
      const latencyMs = performance.now() - started;
      if (response.statusCode === 200) return { ok: true, latencyMs };
      return { ok: false, latencyMs, error: `HTTP ${response.statusCode}` };
    } catch (error) {
      return {
        ok: false,
        latencyMs: performance.now() - started,
        error: describe(error),
        definitive: DEFINITIVE.has(errorCode(error) ?? ''),
      };
    }
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}

/**
 * A Redis liveness probe over a fresh TCP connection: `PING` answers `+PONG` (with `AUTH` first when the
 * URL has a password). A fresh connection each time, so a stopped server (which still completes the TCP
 * handshake from its listen backlog) shows up as a timeout, and a dead one as a refused connection.
 */
export function probeRedis(redisUrl: string, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  const url = new URL(redisUrl);
  const host = url.hostname || '127.0.0.1';
  const port = Number(url.port || 6379);
  const password = decodeURIComponent(url.password);
  const username = decodeURIComponent(url.username);
  return new Promise<ProbeResult>((resolve) => {
    let settled = false;
    let buffer = '';
    const socket = connect({ host, port });
    const finish = (result: Omit<ProbeResult, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...result, latencyMs: performance.now() - started });
    };
    const timer = setTimeout(() => finish({ ok: false, error: 'no answer in time' }), timeoutMs);
    socket.setNoDelay(true);
    socket.on('connect', () => {
      const auth = password ? (username ? `AUTH ${username} ${password}\r\n` : `AUTH ${password}\r\n`) : '';
      socket.write(`${auth}PING\r\n`);
    });
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      if (buffer.includes('+PONG')) finish({ ok: true });
      // LOADING: alive but replaying its AOF, not serving yet.
      else if (/^-|\r\n-/.test(buffer) && buffer.includes('\r\n'))
        finish({
          ok: false,
          error:
            buffer
              .split('\r\n')
              .find((l) => l.startsWith('-'))
              ?.slice(1) ?? 'error',
        });
    });
    socket.on('error', (error) =>
      finish({ ok: false, error: describe(error), definitive: DEFINITIVE.has(errorCode(error) ?? '') }),
    );
    socket.on('close', () => finish({ ok: false, error: 'connection closed' }));
  });
}
