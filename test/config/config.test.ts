import { describe, expect, it } from 'vitest';
import { KNOWN_VARIABLES } from '../../src/config/settings.ts';
import { ConfigError, isLoopback, loadConfig } from '../../src/config.ts';

const ADMIN = 'admin:0123456789abcdef';

/** The problems loadConfig reports for `env`, or [] when it accepts it. */
function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
}

describe('loadConfig defaults', () => {
  it('runs on embedded defaults with no variables, as anonymous admin on loopback, and says so', () => {
    const config = loadConfig({}, { defaultInstance: 'box-42' });
    expect(config).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      redis: null,
      database: { kind: 'pglite', dataDir: './.kairos' },
      timezone: 'UTC',
      anonymousScope: 'admin',
      jobsFile: null,
      logLevel: 'info',
      instance: 'box-42',
      shutdownTimeoutMs: 10_000,
      graphiql: true,
      maxBodyBytes: 1_048_576,
      retentionDays: null,
    });
    expect(config.tokens.size).toBe(0);
    expect(config.warnings.join('\n')).toMatch(/KAIROS_TOKENS is not set: anyone .* admin access/);
  });

  it('treats empty and blank values as unset', () => {
    const config = loadConfig({ PORT: '', HOST: '  ', REDIS_URL: '', KAIROS_TOKENS: '' });
    expect(config.port).toBe(4000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.redis).toBeNull();
  });
});

describe('PORT and HOST', () => {
  it.each(['0', '1', '8080', '65535'])('accepts PORT=%s', (port) => {
    expect(loadConfig({ PORT: port }).port).toBe(Number(port));
  });

  it.each(['-1', '65536', 'abc', '80.5', '1e3', '0x50'])('rejects PORT=%s, naming the variable', (port) => {
    const found = problems({ PORT: port });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^PORT=".*" must be/);
  });

  it.each(['127.0.0.1', '0.0.0.0', '::1', '[::1]', '::', 'localhost', 'kairos.internal', '10.1.2.3'])(
    'accepts HOST=%s',
    (host) => {
      expect(loadConfig({ HOST: host, KAIROS_TOKENS: ADMIN }).host).toBe(host);
    },
  );

  it.each(['256.1.1.1', 'http://x', 'a b', '-bad-', '1.2.3', ':::1:::'])('rejects HOST=%s', (host) => {
    expect(problems({ HOST: host, KAIROS_TOKENS: ADMIN })).toEqual([
      expect.stringMatching(/^HOST=".*" is not an IP address or host name/),
    ]);
  });
});

describe('auth rule (issue 3)', () => {
  it.each(['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1'])(
    'no tokens on loopback %s: anonymous admin with a warning',
    (host) => {
      const config = loadConfig({ HOST: host });
      expect(config.anonymousScope).toBe('admin');
      expect(config.warnings.some((w) => w.includes('KAIROS_TOKENS is not set'))).toBe(true);
    },
  );

  it.each(['0.0.0.0', '::', '10.0.0.5', 'kairos.example.com', '128.0.0.1', 'localhost.example.com'])(
    'no tokens on %s: refuses to start, saying how to fix it',
    (host) => {
      const found = problems({ HOST: host });
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(/^KAIROS_TOKENS is required when HOST is not a loopback address/);
      expect(found[0]).toContain('HOST=127.0.0.1');
    },
  );

  it('with tokens: no anonymous access, on any host, and no warning', () => {
    for (const host of ['127.0.0.1', '0.0.0.0']) {
      const config = loadConfig({ HOST: host, KAIROS_TOKENS: ADMIN });
      expect(config.anonymousScope).toBeNull();
      expect(config.warnings).toEqual([]);
    }
  });

  it('isLoopback knows the whole 127/8 block and nothing else', () => {
    expect(isLoopback('127.255.255.254')).toBe(true);
    expect(isLoopback('126.0.0.1')).toBe(false);
    expect(isLoopback('::2')).toBe(false);
    expect(isLoopback('0:0:0:0:0:0:0:1')).toBe(true);
  });
});

describe('KAIROS_TOKENS', () => {
  it('parses scope:token pairs, trimming spaces and ignoring a trailing comma', () => {
    const config = loadConfig({
      KAIROS_TOKENS: ' read:rrrrrrrrrrrrrrrr , operate:oooooooooooooooo,admin:a:b:c-dddddddddddd,',
    });
    expect([...config.tokens]).toEqual([
      ['rrrrrrrrrrrrrrrr', { scope: 'read', name: null }],
      ['oooooooooooooooo', { scope: 'operate', name: null }],
      ['a:b:c-dddddddddddd', { scope: 'admin', name: null }],
    ]);
  });

  it('takes a name before the scope (name=scope:token), the who of the audit trail', () => {
    const config = loadConfig({
      KAIROS_TOKENS: 'deploy-bot=operate:oooooooooooooooo, alice.b_2 = admin:a=b:cccccccccccccccc',
    });
    expect([...config.tokens]).toEqual([
      ['oooooooooooooooo', { scope: 'operate', name: 'deploy-bot' }],
      ['a=b:cccccccccccccccc', { scope: 'admin', name: 'alice.b_2' }],
    ]);
  });

  it('refuses a bad or repeated name, naming the entry and never the token', () => {
    const found = problems({
      KAIROS_TOKENS:
        'bot=read:rrrrrrrrrrrrrrrr,bot=admin:aaaaaaaaaaaaaaaa,has space=read:bbbbbbbbbbbbbbbb,=read:cccccccccccccccc',
    });
    expect(found).toEqual([
      expect.stringMatching(/^KAIROS_TOKENS entry 2 repeats the name "bot" of an earlier entry/),
      expect.stringMatching(/^KAIROS_TOKENS entry 3 has a name that is not 1-64 letters/),
      expect.stringMatching(/^KAIROS_TOKENS entry 4 has a name that is not 1-64 letters/),
    ]);
    expect(found.join('\n')).not.toMatch(/aaaaaaaaaaaaaaaa|bbbbbbbbbbbbbbbb|cccccccccccccccc/);
  });

  it('reports every bad entry by position, and never prints a token', () => {
    const secret = 'short-secret';
    const found = problems({
      KAIROS_TOKENS: `writer:aaaaaaaaaaaaaaaaaa,admin:${secret},notoken,read:bbbbbbbbbbbbbbbb,operate:bbbbbbbbbbbbbbbb,read:has space here!!!`,
    });
    expect(found).toEqual([
      expect.stringMatching(
        /^KAIROS_TOKENS entry 1 has scope "writer"; the scope must be read, operate or admin/,
      ),
      expect.stringMatching(
        /^KAIROS_TOKENS entry 2 \(admin\) has a token of 12 characters; tokens need at least 16/,
      ),
      expect.stringMatching(/^KAIROS_TOKENS entry 3 must be scope:token/),
      expect.stringMatching(
        /^KAIROS_TOKENS entry 5 \(operate\) repeats the token of an earlier entry \(read\)/,
      ),
      expect.stringMatching(/^KAIROS_TOKENS entry 6 \(read\) has a token with spaces/),
    ]);
    expect(found.join('\n')).not.toContain(secret);
    expect(found.join('\n')).not.toContain('bbbbbbbbbbbbbbbb');
  });

  it('a malformed token list on a public host is reported once, not also as "missing"', () => {
    const found = problems({ HOST: '0.0.0.0', KAIROS_TOKENS: 'admin:short' });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/entry 1/);
  });
});

describe('stores', () => {
  it('REDIS_URL selects Redis with the prefix', () => {
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/2' }).redis).toEqual({
      url: 'redis://127.0.0.1:6379/2',
      prefix: 'kairos',
    });
    expect(
      loadConfig({ REDIS_URL: 'rediss://user:pw@cache:6380', KAIROS_REDIS_PREFIX: 'prod:eu-1' }).redis,
    ).toEqual({
      url: 'rediss://user:pw@cache:6380',
      prefix: 'prod:eu-1',
    });
  });

  it('rejects a REDIS_URL that is not a redis URL, without echoing a password', () => {
    expect(problems({ REDIS_URL: 'http://cache:6379' })).toEqual([
      'REDIS_URL must start with redis:// or rediss://, got http://',
    ]);
    const found = problems({ REDIS_URL: 'not a url with p4ssw0rd' });
    expect(found).toEqual([expect.stringMatching(/^REDIS_URL is not a URL/)]);
    expect(found[0]).not.toContain('p4ssw0rd');
  });

  it.each(['{kairos}', 'a b', 'x'.repeat(65)])('rejects KAIROS_REDIS_PREFIX=%s', (prefix) => {
    expect(problems({ REDIS_URL: 'redis://localhost', KAIROS_REDIS_PREFIX: prefix })).toEqual([
      expect.stringMatching(/^KAIROS_REDIS_PREFIX=".*" must be 1-64 characters/),
    ]);
  });

  it('warns that KAIROS_REDIS_PREFIX is ignored without REDIS_URL', () => {
    const config = loadConfig({ KAIROS_REDIS_PREFIX: 'x' });
    expect(config.warnings).toContainEqual(expect.stringMatching(/KAIROS_REDIS_PREFIX is ignored/));
  });

  it('DATABASE_URL selects PostgreSQL; memory:// an in-memory PGlite; KAIROS_DATA_DIR the PGlite directory', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/kairos' }).database).toEqual({
      kind: 'postgres',
      url: 'postgres://u:p@db:5432/kairos',
    });
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/kairos' }).database.kind).toBe('postgres');
    expect(loadConfig({ DATABASE_URL: 'memory://' }).database).toEqual({ kind: 'pglite', dataDir: null });
    expect(loadConfig({ KAIROS_DATA_DIR: '/var/lib/kairos' }).database).toEqual({
      kind: 'pglite',
      dataDir: '/var/lib/kairos',
    });
  });

  it('warns that KAIROS_DATA_DIR is ignored with a PostgreSQL DATABASE_URL', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://db/k', KAIROS_DATA_DIR: '/data' });
    expect(config.warnings).toContainEqual(expect.stringMatching(/KAIROS_DATA_DIR is ignored/));
  });

  it.each([
    ['mysql://db/k', /^DATABASE_URL must start with postgres:\/\/ or postgresql:\/\/, got mysql:\/\//],
    ['db:5432', /^DATABASE_URL must start with postgres/],
    ['::nope', /^DATABASE_URL is not a URL/],
  ])('rejects DATABASE_URL=%s', (url, message) => {
    expect(problems({ DATABASE_URL: url })).toEqual([expect.stringMatching(message)]);
  });
});

describe('the other variables', () => {
  it('KAIROS_TIMEZONE takes IANA names only', () => {
    expect(loadConfig({ KAIROS_TIMEZONE: 'Europe/Paris' }).timezone).toBe('Europe/Paris');
    expect(problems({ KAIROS_TIMEZONE: 'Mars/Olympus' })).toEqual([
      expect.stringMatching(/^KAIROS_TIMEZONE="Mars\/Olympus" is not an IANA time zone/),
    ]);
  });

  it('KAIROS_LOG_LEVEL takes debug, info, warn, error, silent', () => {
    for (const level of ['debug', 'info', 'warn', 'error', 'silent']) {
      expect(loadConfig({ KAIROS_LOG_LEVEL: level }).logLevel).toBe(level);
    }
    expect(problems({ KAIROS_LOG_LEVEL: 'verbose' })).toEqual([
      'KAIROS_LOG_LEVEL="verbose" must be one of debug, info, warn, error, silent',
    ]);
  });

  it('KAIROS_INSTANCE overrides the runtime default and is checked', () => {
    expect(loadConfig({ KAIROS_INSTANCE: 'eu-1.replica-2' }, { defaultInstance: 'x' }).instance).toBe(
      'eu-1.replica-2',
    );
    expect(problems({ KAIROS_INSTANCE: 'has space' })).toEqual([
      expect.stringMatching(/^KAIROS_INSTANCE="has space" must be 1-200 characters/),
    ]);
  });

  it('KAIROS_JOBS_FILE is passed through as a path', () => {
    expect(loadConfig({ KAIROS_JOBS_FILE: './jobs.json' }).jobsFile).toBe('./jobs.json');
  });

  it('KAIROS_SHUTDOWN_TIMEOUT_MS, KAIROS_MAX_BODY_BYTES and KAIROS_RETENTION_DAYS are bounded integers', () => {
    const config = loadConfig({
      KAIROS_SHUTDOWN_TIMEOUT_MS: '0',
      KAIROS_MAX_BODY_BYTES: '65536',
      KAIROS_RETENTION_DAYS: '30',
    });
    expect(config).toMatchObject({ shutdownTimeoutMs: 0, maxBodyBytes: 65_536, retentionDays: 30 });
    expect(
      problems({
        KAIROS_SHUTDOWN_TIMEOUT_MS: '3600001',
        KAIROS_MAX_BODY_BYTES: '100',
        KAIROS_RETENTION_DAYS: '0',
      }),
    ).toEqual([
      'KAIROS_SHUTDOWN_TIMEOUT_MS="3600001" must be between 0 and 3600000',
      'KAIROS_MAX_BODY_BYTES="100" must be between 1024 and 104857600',
      'KAIROS_RETENTION_DAYS="0" must be between 1 and 36500',
    ]);
    expect(problems({ KAIROS_SHUTDOWN_TIMEOUT_MS: '10s' })).toEqual([
      'KAIROS_SHUTDOWN_TIMEOUT_MS="10s" must be a whole number between 0 and 3600000',
    ]);
  });

  it('KAIROS_GRAPHIQL takes the usual spellings of on and off', () => {
    for (const on of ['1', 'true', 'YES', 'on'])
      expect(loadConfig({ KAIROS_GRAPHIQL: on }).graphiql).toBe(true);
    for (const off of ['0', 'false', 'No', 'off'])
      expect(loadConfig({ KAIROS_GRAPHIQL: off }).graphiql).toBe(false);
    expect(problems({ KAIROS_GRAPHIQL: 'maybe' })).toEqual([
      expect.stringMatching(/^KAIROS_GRAPHIQL="maybe" must be one of 1, true/),
    ]);
  });

  it('warns about unknown KAIROS_ variables (a typo must not pass silently)', () => {
    const config = loadConfig({ KAIROS_TOKEN: ADMIN, KAIROS_TIMEZONE: 'UTC', PATH: '/bin' });
    expect(config.warnings).toContainEqual(expect.stringMatching(/^KAIROS_TOKEN is not a Kairos setting/));
    expect(config.warnings.filter((w) => w.includes('not a Kairos setting'))).toHaveLength(1);
  });

  it('collects every problem into one error that names each variable', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'x', KAIROS_TIMEZONE: 'Nowhere', KAIROS_LOG_LEVEL: 'loud', HOST: '0.0.0.0' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/^Kairos cannot start: 4 settings are invalid:/);
    for (const name of ['PORT', 'KAIROS_TIMEZONE', 'KAIROS_LOG_LEVEL', 'KAIROS_TOKENS']) {
      expect(message).toContain(`  - ${name}`);
    }
  });
});

describe('KAIROS_CORS_ORIGINS', () => {
  it('is no origin by default', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
  });

  it('takes comma-separated origins, kept in canonical form without duplicates', () => {
    const config = loadConfig({
      KAIROS_CORS_ORIGINS: ' https://App.Example.com/ , http://localhost:5173,https://app.example.com:443,',
    });
    expect(config.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
  });

  it('takes * (any origin, without credentials) only with tokens, and only alone', () => {
    expect(loadConfig({ KAIROS_CORS_ORIGINS: '*', KAIROS_TOKENS: ADMIN }).corsOrigins).toBe('*');
    expect(problems({ KAIROS_CORS_ORIGINS: '*' })).toEqual([
      expect.stringMatching(/^KAIROS_CORS_ORIGINS is "\*" but KAIROS_TOKENS is not set: every web page/),
    ]);
    expect(problems({ KAIROS_CORS_ORIGINS: '*, https://a.example', KAIROS_TOKENS: ADMIN })).toEqual([
      expect.stringMatching(
        /^KAIROS_CORS_ORIGINS=".*" is "\*" \(any origin\) or a list of origins, not both/,
      ),
    ]);
  });

  it.each([
    'app.example.com',
    'ftp://app.example.com',
    'https://app.example.com/path',
    'https://app.example.com?x=1',
    'https://user@app.example.com',
    'https://',
    'null',
  ])('rejects %s, naming the entry', (origin) => {
    expect(problems({ KAIROS_CORS_ORIGINS: `http://localhost:3000,${origin}` })).toEqual([
      expect.stringMatching(
        /^KAIROS_CORS_ORIGINS entry 2 \(".*"\) is not an origin: http\(s\):\/\/host\[:port\]/,
      ),
    ]);
  });

  it('is a known variable (no typo warning)', () => {
    const config = loadConfig({ KAIROS_CORS_ORIGINS: 'https://a.example' });
    expect(config.warnings.filter((w) => w.includes('not a Kairos setting'))).toEqual([]);
  });
});

describe('KAIROS_MAX_SUBSCRIBERS and KAIROS_MAX_SUBSCRIBERS_PER_TOKEN', () => {
  it('default to 1,000 and 100, are known variables, and take whole numbers from 1', () => {
    const defaults = loadConfig({});
    expect([defaults.maxSubscribers, defaults.maxSubscribersPerToken]).toEqual([1_000, 100]);
    const config = loadConfig({ KAIROS_MAX_SUBSCRIBERS: '5000', KAIROS_MAX_SUBSCRIBERS_PER_TOKEN: '1' });
    expect([config.maxSubscribers, config.maxSubscribersPerToken]).toEqual([5_000, 1]);
    expect(config.warnings.filter((w) => w.includes('not a Kairos setting'))).toEqual([]);
  });

  it('report every invalid value at once, naming the variable', () => {
    expect(problems({ KAIROS_MAX_SUBSCRIBERS: '0', KAIROS_MAX_SUBSCRIBERS_PER_TOKEN: 'many' })).toEqual([
      'KAIROS_MAX_SUBSCRIBERS="0" must be between 1 and 1000000',
      'KAIROS_MAX_SUBSCRIBERS_PER_TOKEN="many" must be a whole number between 1 and 1000000',
    ]);
  });
});

describe('the settings table', () => {
  it('drives the unknown-variable warning: every variable it lists is known, set or empty', () => {
    const env = Object.fromEntries(KNOWN_VARIABLES.map((name) => [name, '']));
    expect(loadConfig({ ...env, KAIROS_TOKENS: ADMIN }).warnings).toEqual([]);
    expect(loadConfig({ ...env, KAIROS_TOKENZ: ADMIN }).warnings).toEqual([
      expect.stringMatching(/^KAIROS_TOKENS is not set/),
      expect.stringMatching(/^KAIROS_TOKENZ is not a Kairos setting and is ignored \(known: PORT, HOST, /),
    ]);
  });

  it('parses every variable in the order of the table, so problems are listed in README order', () => {
    const env = { PORT: 'x', KAIROS_MAX_SUBSCRIBERS: '0', KAIROS_TIMEZONE: 'Nowhere', HOST: '1.2.3' };
    expect(problems({ ...env, KAIROS_TOKENS: ADMIN }).map((p) => p.split('=')[0])).toEqual([
      'PORT',
      'HOST',
      'KAIROS_TIMEZONE',
      'KAIROS_MAX_SUBSCRIBERS',
    ]);
  });
});
