/**
 * JSON-lines logger: one line per call, `{"level","time","msg",...fields}`. Web-standard APIs only,
 * so it runs unchanged on Node, Bun and Deno. Logging never throws: a failing sink or an
 * unserializable field must not fail the execution that logged.
 */
import type { Logger } from './core/task.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** A threshold: `silent` drops everything. */
export type LogThreshold = LogLevel | 'silent';

export const LOG_THRESHOLDS: readonly LogThreshold[] = ['debug', 'info', 'warn', 'error', 'silent'];

const RANK: Record<LogThreshold, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function isLogThreshold(value: unknown): value is LogThreshold {
  return typeof value === 'string' && Object.hasOwn(RANK, value);
}

export interface LoggerOptions {
  /** Lowest level written; default `info`. */
  level?: LogThreshold;
  /** Receives each line (no trailing newline). Default: console.log, console.error for warn and error. */
  write?: (line: string, level: LogLevel) => void;
  /** Fields added to every line (e.g. the instance id). */
  bindings?: Record<string, unknown>;
  /** For tests; default the wall clock. */
  now?: () => number;
}

export interface JsonLogger extends Logger {
  readonly level: LogThreshold;
  /** Write out lines the default sink holds for the end of this turn (call before exiting). */
  flush(): void;
  /** A logger that adds `fields` to every line, on top of this one's bindings. */
  child(fields: Record<string, unknown>): JsonLogger;
}

// Keys every line owns; a field with one of these names is written as `field.<name>` instead of replacing it.
const RESERVED = new Set(['level', 'time', 'msg']);

export function createLogger(options: LoggerOptions = {}): JsonLogger {
  const threshold = options.level ?? 'info';
  const write = options.write ?? writeToConsole;
  const now = options.now ?? Date.now;
  const bindings = options.bindings ?? {};

  const log = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[level] < RANK[threshold]) return;
    const record: Record<string, unknown> = { level, time: new Date(now()).toISOString(), msg };
    addFields(record, bindings);
    if (fields) addFields(record, fields);
    try {
      write(plain(record) ? JSON.stringify(record) : serialize(record), level);
    } catch {
      // A broken sink (closed stdout, throwing test spy) must not break the caller.
    }
  };

  return {
    level: threshold,
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
    flush: flushConsole,
    child: (fields) => createLogger({ ...options, bindings: { ...bindings, ...fields } }),
  };
}

/** Drops every line. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * Debug and info lines of one turn go to stdout as one write: at a herd of fires (a line per
 * finished run) a console call and a pipe write per line were a tenth of a replica's CPU. Warnings
 * and errors are written at once, after what is held, so a crash's last line is never held back.
 */
let heldLines: string[] = [];
let flushArmed = false;
const MAX_HELD_LINES = 1_000;

function flushConsole(): void {
  flushArmed = false;
  if (heldLines.length === 0) return;
  const lines = heldLines.join('\n');
  heldLines = [];
  console.log(lines);
}

function writeToConsole(line: string, level: LogLevel): void {
  if (level === 'warn' || level === 'error') {
    flushConsole();
    console.error(line);
    return;
  }
  heldLines.push(line);
  if (heldLines.length >= MAX_HELD_LINES) flushConsole();
  else if (!flushArmed) {
    flushArmed = true;
    setTimeout(flushConsole, 0);
  }
}

/** No object or bigint among the values: JSON.stringify without the replacer writes the same. */
function plain(record: Record<string, unknown>): boolean {
  for (const key in record) {
    const value = record[key];
    if ((value !== null && typeof value === 'object') || typeof value === 'bigint') return false;
  }
  return true;
}

function addFields(record: Record<string, unknown>, fields: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(fields)) {
    record[RESERVED.has(key) ? `field.${key}` : key] = value;
  }
}

/** JSON.stringify that turns errors into {message, stack}, bigints into strings and cycles into a marker. */
export function serialize(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record, replacer);
  } catch {
    // Cycles and throwing toJSON methods get here: retry marking values already on the path.
    try {
      return JSON.stringify(record, cycleSafeReplacer());
    } catch (error) {
      return JSON.stringify({
        level: record.level,
        time: record.time,
        msg: record.msg,
        logError: `fields could not be serialized: ${(error as Error).message}`,
      });
    }
  }
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return serializeError(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function cycleSafeReplacer(): (this: unknown, key: string, value: unknown) => unknown {
  // JSON.stringify walks depth-first and calls the replacer with `this` = the (replaced) parent, so a
  // stack of ancestors tells a real cycle from an object that merely appears twice. Originals are
  // compared because an error is replaced by a fresh object each time it is met.
  const ancestors: { original: unknown; replaced: unknown }[] = [];
  return function (this: unknown, key: string, value: unknown): unknown {
    const replaced = replacer(key, value);
    if (typeof replaced !== 'object' || replaced === null) return replaced;
    while (ancestors.length > 0 && ancestors[ancestors.length - 1]?.replaced !== this) ancestors.pop();
    if (ancestors.some((a) => a.original === value)) return '[Circular]';
    ancestors.push({ original: value, replaced });
    return replaced;
  };
}

function serializeError(error: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { message: error.message, stack: error.stack ?? null };
  if (error.name !== 'Error') out.name = error.name;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if (error.cause !== undefined) out.cause = error.cause;
  return out;
}
