/**
 * loadConfig: the settings table (settings.ts) applied to an environment, then the rules that span
 * several settings. Pure (the caller passes the environment and the default instance name), and it
 * reports every problem at once, so a deployment is fixed in one round instead of one variable per
 * restart.
 */
import type { LogThreshold } from '../logger.ts';
import type { Scope, TokenGrant } from '../scope.ts';
import { isLoopback } from './hosts.ts';
import { KNOWN_VARIABLES, SETTINGS, type SettingName, type SettingValues } from './settings.ts';

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
  tokens: Map<string, TokenGrant>;
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
  httpConnectionsPerOrigin: number;
  lateStartMs: number;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: where execution spans are exported; null = no tracing. */
  otlpEndpoint: string | null;
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

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env, options: LoadConfigOptions = {}): Config {
  const problems: string[] = [];
  const warnings: string[] = [];
  const failed = new Set<string>();
  // An empty value counts as unset: `FOO=` in a compose file or .env means "not configured".
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const fail = (name: string, message: string, value?: string): void => {
    failed.add(name);
    problems.push(value === undefined ? `${name} ${message}` : `${name}=${JSON.stringify(value)} ${message}`);
  };

  const context = { defaultInstance: options.defaultInstance };
  const values = {} as Record<SettingName, unknown>;
  for (const [name, { env: variable, parse }] of Object.entries(SETTINGS)) {
    values[name as SettingName] = parse(
      get(variable),
      (message, value) => fail(variable, message, value),
      context,
    );
  }
  const v = values as SettingValues;

  if (v.redisUrl === null && get(SETTINGS.redisPrefix.env) !== undefined) {
    warnings.push('KAIROS_REDIS_PREFIX is ignored: REDIS_URL is not set, so jobs are kept in memory');
  }
  const database = databaseOf(v.databaseUrl, get(SETTINGS.dataDir.env) !== undefined, v.dataDir, warnings);

  // Deny by default; anonymous admin is a development convenience that must not leave the machine.
  let anonymousScope: Scope | null = null;
  if (v.tokens.size === 0 && !failed.has(SETTINGS.tokens.env)) {
    if (isLoopback(v.host)) {
      anonymousScope = 'admin';
      warnings.push(
        `KAIROS_TOKENS is not set: anyone who can reach ${v.host} has admin access without a token. ` +
          'Set KAIROS_TOKENS (scope:token, ...) before binding to another address.',
      );
    } else {
      fail(
        'KAIROS_TOKENS',
        `is required when HOST is not a loopback address (HOST=${JSON.stringify(v.host)}): ` +
          'without tokens anyone on the network would have admin access. ' +
          'Set KAIROS_TOKENS=admin:<token of 16+ characters>, or HOST=127.0.0.1 for local use',
      );
    }
  }
  if (v.corsOrigins === '*' && anonymousScope !== null) {
    fail(
      'KAIROS_CORS_ORIGINS',
      'is "*" but KAIROS_TOKENS is not set: every web page you visit could then administer Kairos. ' +
        "List your frontend's origins (KAIROS_CORS_ORIGINS=http://localhost:5173), or set KAIROS_TOKENS",
    );
  }

  for (const name of Object.keys(env)) {
    if (name.startsWith('KAIROS_') && !KNOWN_VARIABLES.includes(name)) {
      warnings.push(`${name} is not a Kairos setting and is ignored (known: ${KNOWN_VARIABLES.join(', ')})`);
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port: v.port,
    host: v.host,
    redis: v.redisUrl === null ? null : { url: v.redisUrl, prefix: v.redisPrefix },
    database,
    timezone: v.timezone,
    tokens: v.tokens,
    anonymousScope,
    jobsFile: v.jobsFile,
    logLevel: v.logLevel,
    instance: v.instance,
    shutdownTimeoutMs: v.shutdownTimeoutMs,
    graphiql: v.graphiql,
    maxBodyBytes: v.maxBodyBytes,
    retentionDays: v.retentionDays,
    corsOrigins: v.corsOrigins,
    maxSubscribers: v.maxSubscribers,
    maxSubscribersPerToken: v.maxSubscribersPerToken,
    httpConnectionsPerOrigin: v.httpConnectionsPerOrigin,
    lateStartMs: v.lateStartMs,
    otlpEndpoint: v.otlpEndpoint,
    warnings,
  };
}

function databaseOf(
  url: string | null,
  dataDirSet: boolean,
  dataDir: string,
  warnings: string[],
): DatabaseConfig {
  if (url === null) return { kind: 'pglite', dataDir };
  if (url === 'memory://') {
    if (dataDirSet)
      warnings.push('KAIROS_DATA_DIR is ignored: DATABASE_URL=memory:// keeps history in memory');
    return { kind: 'pglite', dataDir: null };
  }
  if (dataDirSet) warnings.push('KAIROS_DATA_DIR is ignored: DATABASE_URL points to PostgreSQL');
  return { kind: 'postgres', url };
}
