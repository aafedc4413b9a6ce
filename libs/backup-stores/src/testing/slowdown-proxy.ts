import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlowDownProxy {
  endpoint: string;
  /** Requests answered 503 SlowDown so far, and requests forwarded. */
  throttled: number;
  forwarded: number;
  /** Throttle the next `n` requests (again). */
  throttle(n: number): void;
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of an S3 endpoint that answers the first `throttle` requests with what
 * S3 sends when it throttles (503, XML error code SlowDown), then forwards everything unchanged. The
 * SigV4 signature covers the Host header, so the client signs for the proxy's host and the proxy passes
 * the headers on as they are (s3rver checks the signature with the same headers).
 */
export async function startSlowDownProxy(target: string, throttle: number): Promise<SlowDownProxy> {
  const upstream = new URL(target);
  const state = { pending: throttle, throttled: 0, forwarded: 0 };
  const server: Server = createServer((req, res) => {
    if (state.pending > 0) {
      state.pending--;
      state.throttled++;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
      );
      return;
    }
    state.forwarded++;
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get throttled() {
      return state.throttled;
    },
    get forwarded() {
      return state.forwarded;
    },
    throttle: (n) => (state.pending = n),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
