import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.ts';
import type { JsonValue } from '../../src/core/json.ts';
import { createLogger } from '../../src/logger.ts';
import { logTask } from '../../src/tasks/log.ts';

async function runLog(args: JsonValue): Promise<{ result: unknown; lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line)) });
  const result = await logTask.handler(args, {
    signal: new AbortController().signal,
    logger,
    executionId: 'exec-7',
    jobId: 'heartbeat',
    scheduledFor: Date.parse('2026-01-01T00:00:00Z'),
    attempt: 1,
  });
  return { result, lines };
}

describe('log task', () => {
  it('writes one info line "job log" with the job, the execution and its args', async () => {
    const args = { service: 'billing', count: 3 };
    const { result, lines } = await runLog(args);

    expect(result).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: 'job log',
      jobId: 'heartbeat',
      executionId: 'exec-7',
      attempt: 1,
      args,
    });
  });

  it('uses message and level from the args, and keeps fields under args', async () => {
    const args = { message: 'disk almost full', level: 'warn', fields: { disk: '/var', percent: 93 } };
    const { lines } = await runLog(args);
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', msg: 'disk almost full', args })]);
  });

  it('accepts any JSON as args', async () => {
    for (const args of ['plain text', 42, null, [1, 'two'], true] as JsonValue[]) {
      const { lines } = await runLog(args);
      expect(lines).toEqual([expect.objectContaining({ level: 'info', msg: 'job log', args })]);
    }
  });

  it.each([
    [{ message: 5 }, 'args.message'],
    [{ level: 'fatal' }, 'args.level'],
    [{ fields: 'x' }, 'args.fields'],
    [{ fields: [1] }, 'args.fields'],
  ] as [JsonValue, string][])('rejects %j naming %s', (args, field) => {
    expect(() => logTask.validateArgs?.(args)).toThrow(ValidationError);
    try {
      logTask.validateArgs?.(args);
    } catch (error) {
      expect((error as ValidationError).field).toBe(field);
    }
  });
});
