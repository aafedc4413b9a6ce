import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * JSON lines on stdout, one field `service` on every line so that the logs of `npm start` (prefixed) and of
 * containers (collected) can be told apart and searched. pino because it is the fastest structured logger
 * for Node and is asynchronous-friendly; the request path only logs on errors and slow requests.
 */
export function createLogger(
  service: string,
  level: LevelWithSilent = (process.env.LOG_LEVEL as LevelWithSilent) ?? 'info',
): Logger {
  return pino({
    name: service,
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['*.authorization', '*.token', '*.apiKey', '*.headers.authorization'],
      censor: '[redacted]',
    },
  });
}
