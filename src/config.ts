/**
 * Settings from the environment. loadConfig is pure (the caller passes the environment and the
 * default instance name), validates every variable, and reports all problems at once so a
 * deployment is fixed in one round instead of one variable per restart. Every variable here is
 * listed in the README.
 */
import { isValidTimeZone } from './core/triggers/timezone.ts';
import { isLogThreshold, LOG_THRESHOLDS, type LogThreshold } from './logger.ts';

/** Each scope includes the ones before it: read < operate < admin. */
export type Scope = 'read' | 'operate' | 'admin';
export const SCOPES: readonly Scope[] = ['read', 'operate', 'admin'];

export type DatabaseConfig =
  | { kind: 'postgres'; url: string }
  /** dataDir null: in memory (history is lost at exit). */
  | { kind: 'pglite'; dataDir: string | null };

export interface Config {
  port: number;
  host: string;
  /** null: the in-memory job store (one process only). */
  redis: { url: string; prefix: string } | null;
  database: DatabaseConfig;
  timezone: string;
  /** token -> scope */
  tokens: Map<string, Scope>;
  /** The scope of a request without a token; null = denied. Admin only on loopback with no tokens. */
  anonymousScope: Scope | null;
  jobsFile: string | null;
  logLevel: LogThreshold;
  instance: string;
  shutdownTimeoutMs: number;
  graphiql: boolean;
  maxBodyBytes: number;
  /** Finished executions older than this are deleted; null = kept forever. */
  retentionDays: number | null;
  /** Browser origins let in by CORS and on WebSocket: `*` (any, no credentials) or exact origins. */
  corsOrigins: '*' | string[];
  /** Open subscriptions (SSE + WebSocket) in this process, and per token. */
  maxSubscribers: number;
  maxSubscribersPerToken: number;
  /** Things worth saying loudly at start (anonymous access, ignored variables). */
  warnings: string[];
}

export interface LoadConfigOptions {
  /** KAIROS_INSTANCE's default; the runtime derives it from the host name and pid. */
  defaultInstance?: string;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(
      `Kairos cannot start: ${problems.length} setting${problems.length === 1 ? ' is' : 's are'} invalid:\n${problems
        .map((p) => `  - ${p}`)
        .join('\n')}`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export const DEFAULTS = {
  port: 4000,
  host: '127.0.0.1',
  dataDir: './.kairos',
  timezone: 'UTC',
  logLevel: 'info',
  redisPrefix: 'kairos',
  shutdownTimeoutMs: 10_000,
  graphiql: true,
  maxBodyBytes: 1_048_576,
  maxSubscribers: 1_000,
  maxSubscribersPerToken: 100,
} as const;

export const KNOWN_VARIABLES = [
  'PORT',
  'HOST',
  'REDIS_URL',
  'DATABASE_URL',
  'KAIROS_DATA_DIR',
  'KAIROS_TIMEZONE',
  'KAIROS_TOKENS',
  'KAIROS_JOBS_FILE',
  'KAIROS_LOG_LEVEL',
  'KAIROS_INSTANCE',
  'KAIROS_REDIS_PREFIX',
  'KAIROS_SHUTDOWN_TIMEOUT_MS',
  'KAIROS_GRAPHIQL',
  'KAIROS_MAX_BODY_BYTES',
  'KAIROS_RETENTION_DAYS',
  'KAIROS_CORS_ORIGINS',
  'KAIROS_MAX_SUBSCRIBERS',
  'KAIROS_MAX_SUBSCRIBERS_PER_TOKEN',
] as const;

export const MIN_TOKEN_LENGTH = 16;
const TOKEN_CHARS = /^[\x21-\x7e]+$/; // printable ASCII without space: what an Authorization header carries
const NAME_CHARS = /^[A-Za-z0-9_.:@-]{1,200}$/;
const PREFIX_CHARS = /^[A-Za-z0-9_.:-]{1,64}$/;
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env, options: LoadConfigOptions = {}): Config {
  const problems: string[] = [];
  const warnings: string[] = [];
  // An empty value counts as unset: `FOO=` in a compose file or .env means "not configured".
  const get = (name: (typeof KNOWN_VARIABLES)[number]): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const fail = (name: string, message: string, value?: string): void => {
    problems.push(value === undefined ? `${name} ${message}` : `${name}=${JSON.stringify(value)} ${message}`);
  };

  const port = integer(get('PORT'), DEFAULTS.port, 0, 65_535, 'PORT', fail);
  const host = get('HOST') ?? DEFAULTS.host;
  if (!isHost(host)) fail('HOST', 'is not an IP address or host name', host);

  const redisUrl = get('REDIS_URL');
  if (redisUrl !== undefined) checkUrl('REDIS_URL', redisUrl, ['redis:', 'rediss:'], fail);
  const redisPrefix = get('KAIROS_REDIS_PREFIX') ?? DEFAULTS.redisPrefix;
  if (!PREFIX_CHARS.test(redisPrefix)) {
    fail(
      'KAIROS_REDIS_PREFIX',
      'must be 1-64 characters of letters, digits, "_", ".", ":" or "-"',
      redisPrefix,
    );
  }
  if (redisUrl === undefined && get('KAIROS_REDIS_PREFIX') !== undefined) {
    warnings.push('KAIROS_REDIS_PREFIX is ignored: REDIS_URL is not set, so jobs are kept in memory');
  }

  const database = loadDatabase(get('DATABASE_URL'), get('KAIROS_DATA_DIR'), fail, warnings);

  const timezone = get('KAIROS_TIMEZONE') ?? DEFAULTS.timezone;
  if (!isValidTimeZone(timezone)) {
    fail('KAIROS_TIMEZONE', 'is not an IANA time zone (for example "UTC" or "Europe/Paris")', timezone);
  }

  const tokens = parseTokens(get('KAIROS_TOKENS'), fail);

  const logLevel = get('KAIROS_LOG_LEVEL') ?? DEFAULTS.logLevel;
  if (!isLogThreshold(logLevel))
    fail('KAIROS_LOG_LEVEL', `must be one of ${LOG_THRESHOLDS.join(', ')}`, logLevel);

  const instance = get('KAIROS_INSTANCE') ?? options.defaultInstance ?? 'kairos';
  if (!NAME_CHARS.test(instance)) {
    fail('KAIROS_INSTANCE', 'must be 1-200 characters of letters, digits and _ . : @ -', instance);
  }

  const shutdownTimeoutMs = integer(
    get('KAIROS_SHUTDOWN_TIMEOUT_MS'),
    DEFAULTS.shutdownTimeoutMs,
    0,
    3_600_000,
    'KAIROS_SHUTDOWN_TIMEOUT_MS',
    fail,
  );
  const graphiql = boolean(get('KAIROS_GRAPHIQL'), DEFAULTS.graphiql, 'KAIROS_GRAPHIQL', fail);
  const maxBodyBytes = integer(
    get('KAIROS_MAX_BODY_BYTES'),
    DEFAULTS.maxBodyBytes,
    1_024,
    100 * 1_048_576,
    'KAIROS_MAX_BODY_BYTES',
    fail,
  );
  const retention = get('KAIROS_RETENTION_DAYS');
  const retentionDays =
    retention === undefined ? null : integer(retention, 0, 1, 36_500, 'KAIROS_RETENTION_DAYS', fail);

  const jobsFile = get('KAIROS_JOBS_FILE') ?? null;
  const corsOrigins = parseCorsOrigins(get('KAIROS_CORS_ORIGINS'), fail);
  const maxSubscribers = integer(
    get('KAIROS_MAX_SUBSCRIBERS'),
    DEFAULTS.maxSubscribers,
    1,
    1_000_000,
    'KAIROS_MAX_SUBSCRIBERS',
    fail,
  );
  const maxSubscribersPerToken = integer(
    get('KAIROS_MAX_SUBSCRIBERS_PER_TOKEN'),
    DEFAULTS.maxSubscribersPerToken,
    1,
    1_000_000,
    'KAIROS_MAX_SUBSCRIBERS_PER_TOKEN',
    fail,
  );

  // Deny by default; anonymous admin is a development convenience that must not leave the machine.
  let anonymousScope: Scope | null = null;
  if (tokens.size === 0 && problems.every((p) => !p.startsWith('KAIROS_TOKENS'))) {
    if (isLoopback(host)) {
      anonymousScope = 'admin';
      warnings.push(
        `KAIROS_TOKENS is not set: anyone who can reach ${host} has admin access without a token. ` +
          'Set KAIROS_TOKENS (scope:token, ...) before binding to another address.',
      );
    } else {
      fail(
        'KAIROS_TOKENS',
        `is required when HOST is not a loopback address (HOST=${JSON.stringify(host)}): ` +
          'without tokens anyone on the network would have admin access. ' +
          'Set KAIROS_TOKENS=admin:<token of 16+ characters>, or HOST=127.0.0.1 for local use',
      );
    }
  }

  if (corsOrigins === '*' && anonymousScope !== null) {
    fail(
      'KAIROS_CORS_ORIGINS',
      'is "*" but KAIROS_TOKENS is not set: every web page you visit could then administer Kairos. ' +
        "List your frontend's origins (KAIROS_CORS_ORIGINS=http://localhost:5173), or set KAIROS_TOKENS",
    );
  }

  for (const name of Object.keys(env)) {
    if (name.startsWith('KAIROS_') && !(KNOWN_VARIABLES as readonly string[]).includes(name)) {
      warnings.push(`${name} is not a Kairos setting and is ignored (known: ${KNOWN_VARIABLES.join(', ')})`);
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host,
    redis: redisUrl === undefined ? null : { url: redisUrl, prefix: redisPrefix },
    database,
    timezone,
    tokens,
    anonymousScope,
    jobsFile,
    logLevel: logLevel as LogThreshold,
    instance,
    shutdownTimeoutMs,
    graphiql,
    maxBodyBytes,
    retentionDays,
    corsOrigins,
    maxSubscribers,
    maxSubscribersPerToken,
    warnings,
  };
}

/** `*`, or comma-separated origins (scheme://host[:port]), kept in canonical form. */
function parseCorsOrigins(value: string | undefined, fail: Fail): '*' | string[] {
  if (value === undefined) return [];
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.includes('*')) {
    if (entries.length > 1)
      fail('KAIROS_CORS_ORIGINS', 'is "*" (any origin) or a list of origins, not both', value);
    return '*';
  }
  const origins: string[] = [];
  entries.forEach((entry, index) => {
    const origin = canonicalOrigin(entry);
    if (origin === null) {
      fail(
        `KAIROS_CORS_ORIGINS entry ${index + 1}`,
        `(${JSON.stringify(entry.slice(0, 200))}) is not an origin: http(s)://host[:port] with no path ` +
          '(for example https://app.example.com)',
      );
    } else if (!origins.includes(origin)) {
      origins.push(origin);
    }
  });
  return origins;
}

function canonicalOrigin(value: string): string | null {
  if (!/^https?:\/\/[^/?#@\s]+\/?$/i.test(value)) return null;
  try {
    return new URL(value).origin;
  } catch {
    return null;
  }
}

type Fail = (name: string, message: string, value?: string) => void;

function loadDatabase(
  url: string | undefined,
  dataDir: string | undefined,
  fail: Fail,
  warnings: string[],
): DatabaseConfig {
  if (url === undefined) return { kind: 'pglite', dataDir: dataDir ?? DEFAULTS.dataDir };
  if (url === 'memory://') {
    if (dataDir !== undefined)
      warnings.push('KAIROS_DATA_DIR is ignored: DATABASE_URL=memory:// keeps history in memory');
    return { kind: 'pglite', dataDir: null };
  }
  checkUrl('DATABASE_URL', url, ['postgres:', 'postgresql:'], fail);
  if (dataDir !== undefined) warnings.push('KAIROS_DATA_DIR is ignored: DATABASE_URL points to PostgreSQL');
  return { kind: 'postgres', url };
}

function checkUrl(name: string, value: string, protocols: string[], fail: Fail): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // The value may hold a password: name the variable, not its content.
    fail(name, `is not a URL (expected ${protocols[0]}//host:port/...)`);
    return;
  }
  if (!protocols.includes(url.protocol)) {
    fail(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}, got ${url.protocol}//`);
  } else if (url.hostname === '' && !url.searchParams.has('host')) {
    fail(name, 'has no host');
  }
}

function parseTokens(value: string | undefined, fail: Fail): Map<string, Scope> {
  const tokens = new Map<string, Scope>();
  if (value === undefined) return tokens;
  // Tokens are secrets: messages name the entry by position and scope, never by its text.
  value.split(',').forEach((raw, index) => {
    const entry = raw.trim();
    if (entry === '') return; // a trailing comma is harmless
    const where = `KAIROS_TOKENS entry ${index + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) {
      fail(where, 'must be scope:token (scope read, operate or admin)');
      return;
    }
    const scope = entry.slice(0, colon).trim();
    const token = entry.slice(colon + 1).trim();
    if (!(SCOPES as readonly string[]).includes(scope)) {
      fail(
        where,
        `has scope ${JSON.stringify(scope.slice(0, 20))}; the scope must be read, operate or admin`,
      );
      return;
    }
    if (token.length < MIN_TOKEN_LENGTH) {
      fail(
        where,
        `(${scope}) has a token of ${token.length} characters; tokens need at least ${MIN_TOKEN_LENGTH}`,
      );
      return;
    }
    if (!TOKEN_CHARS.test(token)) {
      fail(where, `(${scope}) has a token with spaces or non-ASCII characters`);
      return;
    }
    const previous = tokens.get(token);
    if (previous !== undefined) {
      fail(
        where,
        `(${scope}) repeats the token of an earlier entry (${previous}); each token needs one scope`,
      );
      return;
    }
    tokens.set(token, scope as Scope);
  });
  return tokens;
}

function integer(
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
  name: string,
  fail: Fail,
): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) {
    fail(name, `must be a whole number between ${min} and ${max}`, value);
    return fallback;
  }
  const number = Number(value);
  if (number < min || number > max) {
    fail(name, `must be between ${min} and ${max}`, value);
    return fallback;
  }
  return number;
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

function boolean(value: string | undefined, fallback: boolean, name: string, fail: Fail): boolean {
  if (value === undefined) return fallback;
  const lower = value.toLowerCase();
  if (TRUE.includes(lower)) return true;
  if (FALSE.includes(lower)) return false;
  fail(name, `must be one of ${[...TRUE, ...FALSE].join(', ')}`, value);
  return fallback;
}

function isHost(host: string): boolean {
  // All-numeric names are IPv4 or nothing: 256.1.1.1 is not a host name.
  if (/^[\d.]+$/.test(host)) return IPV4.test(host);
  return isIpv6(host) || HOSTNAME.test(host);
}

function isIpv6(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (!bare.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(bare)) return false;
  try {
    new URL(`http://[${bare}]/`);
    return true;
  } catch {
    return false;
  }
}

/** 127.0.0.0/8, ::1 and localhost: addresses no other machine can reach. */
export function isLoopback(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const lower = bare.toLowerCase();
  if (lower === 'localhost') return true;
  if (IPV4.test(bare)) return bare.startsWith('127.');
  if (isIpv6(bare)) {
    const normalized = new URL(`http://[${bare}]/`).hostname;
    return normalized === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(normalized);
  }
  return false;
}
