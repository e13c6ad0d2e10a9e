/**
 * The stored definition without the values every job has by default (format 2, `~` then the
 * JSON):
 * a job made with the defaults was ~500 bytes of JSON, most of it nulls, zeros and the default
 * retry policy, which made Redis hold ~950 bytes per job. Reading fills the values back in, with
 * the trigger's and retry policy's keys in the order the factory makes them (a declared job is
 * compared with the stored one as JSON). These defaults are the format's, fixed: they must not
 * follow JOB_DEFAULTS, or a change there would change every stored job.
 * Definitions without the marker (format 1, everything written out) are read as they are.
 */
import type { Trigger } from '../../core/trigger.ts';

/** Starts a format-2 definition; format 1 is plain JSON, so it starts with `{`. */
const MARK = '~';

/** Left out when equal to these (compared as JSON). */
const REQUIRED_DEFAULTS = {
  args: {},
  coalesce: 'latest',
  maxInstances: 1,
  misfireGraceTimeMs: 60_000,
  timeoutMs: null,
  retry: { attempts: 1, backoffMs: 1_000, factor: 2, maxBackoffMs: 300_000, jitter: true },
} as const;

/**
 * Fields a job may lack altogether (stored before they existed): left out when equal to these,
 * and named between the mark and the JSON (`~overlap,maxRuns{...}`) when the job lacks them, so
 * a job reads back exactly as it was given.
 */
const OPTIONAL_DEFAULTS = {
  overlap: 'skip',
  maxRuns: null,
  pauseAfterFailures: null,
  exclusions: [],
  expectSuccessWithinMs: null,
} as const;

const WINDOW_DEFAULTS = { startDate: null, endDate: null, jitterMs: 0 } as const;
/**
 * A cron trigger's zone when left out. Added after format 2 first shipped: definitions written
 * before it have every zone written out, so reading them is unchanged. 17 characters a job, and
 * the scale bench's definition then fits Redis's 128-byte allocation instead of 160.
 */
const CRON_ZONE = 'UTC';
const INTERVAL_PARTS = ['weeks', 'days', 'hours', 'minutes', 'seconds', 'milliseconds'] as const;

type Definition = Record<string, unknown>;

/**
 * The definition (a job without the fields kept apart) as stored, in format 2. A `version` goes
 * first among the names after the mark, as `v<version>` (job-codec.ts): a reader that predates it
 * takes it for the name of an absent field it does not know, and reads the rest as ever.
 */
export function encodeCompact(definition: Definition, version?: number): string {
  const out: Definition = {};
  const absent: string[] = version === undefined ? [] : [`v${version}`];
  for (const key of Object.keys(OPTIONAL_DEFAULTS)) if (definition[key] === undefined) absent.push(key);
  for (const [key, value] of Object.entries(definition)) {
    if (value === undefined) continue;
    if (key === 'name' && value === definition.id) continue;
    if (key === 'updatedAt' && value === definition.createdAt) continue;
    if (key === 'trigger') {
      out.trigger = compactTrigger(value as Trigger);
      continue;
    }
    const defaults = Object.hasOwn(REQUIRED_DEFAULTS, key) ? REQUIRED_DEFAULTS : OPTIONAL_DEFAULTS;
    if (Object.hasOwn(defaults, key) && isDefault(value, (defaults as Definition)[key])) continue;
    out[key] = value;
  }
  return `${MARK}${absent.join(',')}${JSON.stringify(out)}`;
}

/**
 * A stored definition parsed, format 1 or 2. The parse result is completed in place rather than
 * copied: V8 copies a JSON.parse result through its slow path.
 */
export function parseDefinition(stored: string): Definition {
  if (!stored.startsWith(MARK)) return JSON.parse(stored) as Definition;
  const start = stored.indexOf('{');
  const absent = start > 1 ? stored.slice(1, start).split(',') : [];
  const parsed = JSON.parse(start < 0 ? stored.slice(1) : stored.slice(start)) as Definition;
  if (!isRecord(parsed)) return parsed;
  if (parsed.name === undefined) parsed.name = parsed.id;
  if (parsed.updatedAt === undefined) parsed.updatedAt = parsed.createdAt;
  for (const [key, value] of Object.entries(REQUIRED_DEFAULTS))
    if (parsed[key] === undefined) parsed[key] = fresh(value);
  for (const [key, value] of Object.entries(OPTIONAL_DEFAULTS))
    if (parsed[key] === undefined && !absent.includes(key)) parsed[key] = fresh(value);
  if (isRecord(parsed.trigger)) parsed.trigger = expandTrigger(parsed.trigger);
  return parsed;
}

function compactTrigger(trigger: Trigger): Definition {
  const out: Definition = {};
  for (const [key, value] of Object.entries(trigger)) {
    if (value === undefined) continue;
    if ((WINDOW_DEFAULTS as Definition)[key] === value) continue;
    if (trigger.kind === 'cron' && key === 'timezone' && value === CRON_ZONE) continue;
    if (trigger.kind === 'interval' && value === 0 && (INTERVAL_PARTS as readonly string[]).includes(key))
      continue;
    out[key] = key === 'triggers' && Array.isArray(value) ? value.map((m) => compactTrigger(m)) : value;
  }
  return out;
}

/** The trigger with its defaults, keys in compileTrigger's order; an unknown kind as it is. */
function expandTrigger(t: Definition): Definition {
  const window = {
    startDate: t.startDate ?? null,
    endDate: t.endDate ?? null,
    jitterMs: t.jitterMs ?? 0,
  };
  switch (t.kind) {
    case 'cron':
      return t.dst === undefined
        ? { kind: t.kind, expression: t.expression, timezone: t.timezone ?? CRON_ZONE, ...window }
        : {
            kind: t.kind,
            expression: t.expression,
            timezone: t.timezone ?? CRON_ZONE,
            ...window,
            dst: t.dst,
          };
    case 'interval': {
      const parts: Definition = {};
      for (const part of INTERVAL_PARTS) parts[part] = t[part] ?? 0;
      return { kind: t.kind, ...parts, ...window, anchor: t.anchor };
    }
    case 'date':
      return { kind: t.kind, runDate: t.runDate, ...window };
    case 'any':
      return {
        kind: t.kind,
        triggers: Array.isArray(t.triggers)
          ? t.triggers.map((m: unknown) => (isRecord(m) ? expandTrigger(m) : m))
          : t.triggers,
        ...window,
      };
    default:
      return t;
  }
}

/** The defaults are flat: an empty object or array, or an object of plain values. */
function isDefault(value: unknown, fallback: unknown): boolean {
  if (value === fallback) return true;
  if (typeof value !== 'object' || typeof fallback !== 'object' || value === null || fallback === null)
    return false;
  if (Array.isArray(fallback)) return Array.isArray(value) && value.length === 0;
  if (Array.isArray(value)) return false;
  const keys = Object.keys(fallback);
  return (
    Object.keys(value).length === keys.length &&
    keys.every((key) => (value as Definition)[key] === (fallback as Definition)[key])
  );
}

/** Each job gets its own copy: decoded jobs are frozen (decoded-jobs.ts), and some are edited. */
function fresh<T>(value: T): T {
  if (Array.isArray(value)) return [...value] as T;
  return typeof value === 'object' && value !== null ? { ...value } : value;
}

function isRecord(value: unknown): value is Definition {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
