import { createConnection } from 'node:net';

/** Whether a Redis answers PING (a paused Redis accepts the connection but never answers). */
export function redisAnswers(url: string, timeoutMs: number): Promise<boolean> {
  const parsed = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: parsed.hostname, port: Number(parsed.port || 6379) });
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('error', () => done(false));
    socket.once('connect', () => {
      const auth = parsed.password ? `AUTH ${decodeURIComponent(parsed.password)}\r\n` : '';
      socket.write(`${auth}PING\r\n`);
    });
    let seen = '';
    socket.on('data', (chunk) => {
      seen += chunk.toString('latin1');
      if (seen.includes('+PONG')) done(true);
      else if (seen.startsWith('-') && !seen.startsWith('-NOAUTH')) done(false);
    });
  });
}

/** Whether a service is ready: `GET /readyz` answers 200 within the timeout (Redis: PING). */
export async function targetReady(healthUrl: string, timeoutMs = 800): Promise<boolean> {
  if (healthUrl.startsWith('redis://') || healthUrl.startsWith('rediss://'))
    return redisAnswers(healthUrl, timeoutMs);
  try {
    const response = await fetch(`${healthUrl.replace(/\/+$/, '')}/readyz`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}
