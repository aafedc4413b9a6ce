import type { StackLogEntry } from '@redoubt/local-stack';

const levels: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const palette = [36, 32, 33, 35, 34, 96, 92, 93, 95, 94];
const hidden = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname', 'name', 'v']);

function colour(code: number, text: string, enabled: boolean): string {
  return enabled ? `\u001b[${code}m${text}\u001b[0m` : text;
}

function value(v: unknown): string {
  if (typeof v === 'string') return /\s/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

/**
 * A pino JSON line as one short human line (`12:00:01 WARN  message key=value`); anything else unchanged.
 * The files under <home>/logs keep the JSON as written.
 */
export function compactLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof record.level !== 'number') return line;
  const time = typeof record.time === 'string' ? record.time.slice(11, 19) : '';
  const level = (levels[record.level] ?? String(record.level)).padEnd(5);
  const rest = Object.entries(record)
    .filter(([key]) => !hidden.has(key))
    .map(([key, v]) =>
      key === 'err' && v && typeof v === 'object' && 'message' in v
        ? `err=${value((v as { message: unknown }).message)}`
        : `${key}=${value(v)}`,
    );
  return [time, level, String(record.msg ?? ''), ...rest].filter(Boolean).join(' ');
}

/** Prefixes every line with its service, padded and (on a terminal) coloured per service. */
export function createLogPrinter(options: {
  raw: boolean;
  colour: boolean;
  /** Width of the service column (it grows when a longer name turns up). */
  width?: number;
  write?: (text: string) => void;
}) {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const colours = new Map<string, number>();
  let width = options.width ?? 8;
  return (entry: StackLogEntry): void => {
    if (!colours.has(entry.service)) colours.set(entry.service, palette[colours.size % palette.length]!);
    width = Math.max(width, entry.service.length);
    const prefix = colour(colours.get(entry.service)!, entry.service.padEnd(width), options.colour);
    let text = options.raw ? entry.line : compactLogLine(entry.line);
    if (entry.stream === 'stack' && entry.level !== 'info')
      text = colour(entry.level === 'error' ? 91 : 93, text, options.colour);
    write(`${prefix} | ${text}\n`);
  };
}
