/**
 * Every setting, once: its variable, how it is parsed and checked, and what the README says about
 * it. loadConfig (load.ts) parses the table in this order, warns about KAIROS_* variables not in
 * it, and `npm run docs:config` writes the README's table from it (readme-table.ts), so the three
 * cannot drift apart. Rules that span several settings (anonymous access, ignored variables) are
 * in load.ts.
 */
import { isValidTimeZone } from '../core/triggers/timezone.ts';
import { LOG_THRESHOLDS } from '../logger.ts';
import {
  boolean,
  corsOrigins,
  hostName,
  integer,
  oneOf,
  optionalInteger,
  optionalText,
  type Parser,
  text,
  tokens,
  url,
} from './parsers.ts';

export interface Setting<T> {
  /** The environment variable. */
  env: string;
  parse: Parser<T>;
  /** The README's Default column (Markdown). */
  default: string;
  /** The README's Meaning column (Markdown, one line). */
  meaning: string;
}

function setting<T>(env: string, parse: Parser<T>, defaultText: string, meaning: string): Setting<T> {
  return { env, parse, default: defaultText, meaning };
}

const PREFIX_CHARS = /^[A-Za-z0-9_.:-]{1,64}$/;
const NAME_CHARS = /^[A-Za-z0-9_.:@-]{1,200}$/;

const postgresUrl = url(['postgres:', 'postgresql:']);

export const SETTINGS = {
  port: setting(
    'PORT',
    integer(0, 65_535, 4000),
    '`4000`',
    'TCP port. `0` picks a free one (the ready line shows which).',
  ),
  host: setting(
    'HOST',
    hostName('127.0.0.1'),
    '`127.0.0.1`',
    'Address to bind. Anything but a loopback address (`127.0.0.0/8`, `::1`, `localhost`) requires `KAIROS_TOKENS`.',
  ),
  redisUrl: setting(
    'REDIS_URL',
    url(['redis:', 'rediss:']),
    'unset: in-memory job store',
    '`redis://` or `rediss://` URL. Jobs and their schedule live there; replicas sharing it fire each run once. Without it jobs live in memory and are lost at exit (one process only).',
  ),
  redisPrefix: setting(
    'KAIROS_REDIS_PREFIX',
    text(
      'kairos',
      (v) => PREFIX_CHARS.test(v),
      'must be 1-64 characters of letters, digits, "_", ".", ":" or "-"',
    ),
    '`kairos`',
    'Key prefix; all keys share the hash tag `{prefix}`, so Redis Cluster works. Two deployments on one Redis need two prefixes.',
  ),
  databaseUrl: setting(
    'DATABASE_URL',
    (value, fail, context) => (value === 'memory://' ? value : postgresUrl(value, fail, context)),
    'unset: PGlite in `KAIROS_DATA_DIR`',
    '`postgres://` or `postgresql://` URL of PostgreSQL 15+ for the execution history. `memory://` keeps the history in an in-memory PGlite (lost at exit). Migrations are applied at start.',
  ),
  dataDir: setting(
    'KAIROS_DATA_DIR',
    text('./.kairos'),
    '`./.kairos`',
    'PGlite data directory, created if missing. Ignored with a PostgreSQL `DATABASE_URL`.',
  ),
  timezone: setting(
    'KAIROS_TIMEZONE',
    text('UTC', isValidTimeZone, 'is not an IANA time zone (for example "UTC" or "Europe/Paris")'),
    '`UTC`',
    'IANA zone for cron triggers that name none.',
  ),
  tokens: setting(
    'KAIROS_TOKENS',
    tokens,
    'unset',
    'Comma-separated `scope:token` pairs, scope `read`, `operate` or `admin`, tokens of 16+ printable characters; `name=scope:token` names a token for the audit trail and `pausedBy`. See [Authentication](#authentication).',
  ),
  jobsFile: setting(
    'KAIROS_JOBS_FILE',
    optionalText(),
    'unset',
    'JSON file of jobs declared at every start. See [Declaring jobs in a file](#declaring-jobs-in-a-file).',
  ),
  logLevel: setting(
    'KAIROS_LOG_LEVEL',
    oneOf(LOG_THRESHOLDS, 'info'),
    '`info`',
    '`debug`, `info`, `warn`, `error` or `silent`. Logs are JSON lines on stdout (warnings and errors on stderr).',
  ),
  instance: setting(
    'KAIROS_INSTANCE',
    (value, fail, context) => {
      const name = value ?? context.defaultInstance ?? 'kairos';
      if (!NAME_CHARS.test(name)) fail('must be 1-200 characters of letters, digits and _ . : @ -', name);
      return name;
    },
    '`<hostname>-<pid>`',
    "This replica's name, recorded on every execution it runs.",
  ),
  shutdownTimeoutMs: setting(
    'KAIROS_SHUTDOWN_TIMEOUT_MS',
    integer(0, 3_600_000, 10_000),
    '`10000`',
    'On SIGTERM/SIGINT, how long running executions get to finish before they are aborted and recorded `ABANDONED`.',
  ),
  graphiql: setting(
    'KAIROS_GRAPHIQL',
    boolean(true),
    '`true`',
    'Serve GraphiQL at `/graphql` to browsers (`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`).',
  ),
  maxBodyBytes: setting(
    'KAIROS_MAX_BODY_BYTES',
    integer(1_024, 100 * 1_048_576, 1_048_576),
    '`1048576`',
    'Largest accepted request body (and WebSocket message).',
  ),
  retentionDays: setting(
    'KAIROS_RETENTION_DAYS',
    optionalInteger(1, 36_500),
    'unset: keep forever',
    'Finished executions older than this many days are deleted (checked hourly).',
  ),
  corsOrigins: setting(
    'KAIROS_CORS_ORIGINS',
    corsOrigins,
    'unset: no other origin',
    'Browser origins (`https://app.example.com`, comma-separated) let in by CORS and allowed to open a WebSocket; `*` is any origin without credentials and needs `KAIROS_TOKENS`. See [Security](#security).',
  ),
  maxSubscribers: setting(
    'KAIROS_MAX_SUBSCRIBERS',
    integer(1, 1_000_000, 1_000),
    '`1000`',
    'Open subscriptions (SSE and WebSocket together) this process serves; one more is `TOO_MANY_SUBSCRIPTIONS`. See [Subscriber limits](#subscriber-limits).',
  ),
  maxSubscribersPerToken: setting(
    'KAIROS_MAX_SUBSCRIBERS_PER_TOKEN',
    integer(1, 1_000_000, 100),
    '`100`',
    'Open subscriptions per token (a subscription token counts for the token that minted it; requests without a token count as one).',
  ),
  lateStartMs: setting(
    'KAIROS_LATE_START_MS',
    integer(1, 3_600_000, 1_000),
    '`1000`',
    'A run that starts this many ms after its due time counts as late: `kairos_fires_late_total` and a warning (one line per 10 s) that this replica cannot keep up.',
  ),
  httpConnectionsPerOrigin: setting(
    'KAIROS_HTTP_CONNECTIONS_PER_ORIGIN',
    integer(1, 65_536, 256),
    '`256`',
    'Keep-alive connections the `http` task opens per origin at most (Node); a burst to one host reuses them, further requests wait for a free one. Bun and Deno pool in their own `fetch`.',
  ),
  otlpEndpoint: setting(
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    url(['http:', 'https:']),
    'unset: no traces',
    'OTLP/HTTP collector base URL (`http://localhost:4318`): a span per execution goes to `<url>/v1/traces` and the `http` task sends `traceparent`. See [Traces](#traces).',
  ),
} as const;

export type SettingName = keyof typeof SETTINGS;

/** The parsed value of every setting, before the rules that span several (load.ts). */
export type SettingValues = {
  [K in SettingName]: (typeof SETTINGS)[K] extends Setting<infer T> ? T : never;
};

export const KNOWN_VARIABLES: readonly string[] = Object.values(SETTINGS).map((s) => s.env);
