import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { isUnavailable, toStoreError, violates } from '../../src/adapters/postgres/errors.ts';
import { UnavailableError } from '../../src/core/errors.ts';

const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });
const wrapped = (cause: Error) => new DrizzleQueryError('select 1', ['x'.repeat(100)], cause);

describe('PostgreSQL error mapping', () => {
  it('recognises an unreachable server from the driver, the socket, the SQLSTATE or a closed PGlite', () => {
    for (const code of ['ECONNREFUSED', 'CONNECTION_CLOSED', 'CONNECT_TIMEOUT', '08006', '57P01', '53300'])
      expect(isUnavailable(wrapped(withCode(code)))).toBe(true);
    expect(isUnavailable(new Error('PGlite is closed'))).toBe(true);
    expect(isUnavailable(wrapped(withCode('23505')))).toBe(false);
    expect(isUnavailable('ECONNREFUSED')).toBe(false);
  });

  it('maps an unreachable server to UnavailableError and unwraps every other error to the driver error', () => {
    const refused = withCode('ECONNREFUSED');
    const mapped = toStoreError(wrapped(refused));
    expect(mapped).toBeInstanceOf(UnavailableError);
    expect((mapped as UnavailableError).cause).toBe(refused);

    const syntax = withCode('42601', 'syntax error');
    expect(toStoreError(wrapped(syntax))).toBe(syntax);
  });

  it('finds a unique violation of a named constraint in either driver shape', () => {
    const postgresJs = Object.assign(withCode('23505'), { constraint_name: 'job_executions_pkey' });
    const pglite = Object.assign(withCode('23505'), { constraint: 'job_executions_pkey' });
    expect(violates(wrapped(postgresJs), 'job_executions_pkey')).toBe(true);
    expect(violates(pglite, 'job_executions_pkey')).toBe(true);
    expect(violates(pglite, 'job_executions_fire_key')).toBe(false);
  });
});
