import { describe, expect, it } from 'vitest';
import { createLogger, type LogLevel, type LogThreshold, silentLogger } from '../../src/logger.ts';

const NOW = Date.parse('2026-05-04T03:02:01.000Z');

function capture(level?: LogThreshold) {
  const lines: { level: LogLevel; record: Record<string, unknown>; raw: string }[] = [];
  const logger = createLogger({
    level,
    now: () => NOW,
    write: (line, lineLevel) => lines.push({ level: lineLevel, record: JSON.parse(line), raw: line }),
  });
  return { logger, lines };
}

function logAll(logger: ReturnType<typeof createLogger>): void {
  logger.debug('d');
  logger.info('i');
  logger.warn('w');
  logger.error('e');
}

describe('createLogger', () => {
  it('writes one JSON line per call: level, ISO time, msg, then the fields', () => {
    const { logger, lines } = capture();
    logger.info('job added', { jobId: 'j1', attempt: 2, nested: { ok: true } });

    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line?.raw).not.toContain('\n');
    expect(line?.raw.startsWith('{"level":"info","time":"2026-05-04T03:02:01.000Z","msg":"job added"')).toBe(
      true,
    );
    expect(line?.record).toEqual({
      level: 'info',
      time: '2026-05-04T03:02:01.000Z',
      msg: 'job added',
      jobId: 'j1',
      attempt: 2,
      nested: { ok: true },
    });
  });

  it.each([
    ['debug', ['d', 'i', 'w', 'e']],
    ['info', ['i', 'w', 'e']],
    ['warn', ['w', 'e']],
    ['error', ['e']],
    ['silent', []],
  ] as [LogThreshold, string[]][])('at level %s writes %j', (level, expected) => {
    const { logger, lines } = capture(level);
    logAll(logger);
    expect(lines.map((l) => l.record.msg)).toEqual(expected);
    expect(lines.map((l) => l.record.level)).toEqual(lines.map((l) => l.level));
  });

  it('defaults to info', () => {
    const { logger, lines } = capture();
    logAll(logger);
    expect(logger.level).toBe('info');
    expect(lines.map((l) => l.record.msg)).toEqual(['i', 'w', 'e']);
  });

  it('serializes errors in fields as {message, stack}, with their cause', () => {
    const { logger, lines } = capture();
    const cause = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    logger.error('execution failed', { error: new TypeError('fetch failed', { cause }) });

    const error = lines[0]?.record.error as Record<string, unknown>;
    expect(error.message).toBe('fetch failed');
    expect(error.name).toBe('TypeError');
    expect(error.stack).toEqual(expect.stringContaining('fetch failed'));
    expect(error.cause).toEqual({
      message: 'connect ECONNREFUSED',
      stack: expect.stringContaining('connect ECONNREFUSED'),
      code: 'ECONNREFUSED',
    });
  });

  it('survives cycles, bigints and reserved field names', () => {
    const { logger, lines } = capture();
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    const shared = { x: 1 };
    const selfCaused = new Error('again');
    (selfCaused as { cause?: unknown }).cause = selfCaused;
    logger.info('odd fields', {
      loop,
      a: shared,
      b: shared,
      big: 10n,
      msg: 'mine',
      level: 'custom',
      selfCaused,
    });

    const record = lines[0]?.record ?? {};
    expect(record.msg).toBe('odd fields');
    expect(record.level).toBe('info');
    expect(record['field.msg']).toBe('mine');
    expect(record['field.level']).toBe('custom');
    expect(record.loop).toEqual({ name: 'loop', self: '[Circular]' });
    // An object seen twice but not in a cycle is written twice.
    expect(record.a).toEqual({ x: 1 });
    expect(record.b).toEqual({ x: 1 });
    expect(record.big).toBe('10');
    expect(record.selfCaused).toMatchObject({ message: 'again', cause: '[Circular]' });
  });

  it('never throws, even when the sink does', () => {
    const logger = createLogger({
      write: () => {
        throw new Error('stdout closed');
      },
    });
    expect(() => logger.error('still fine')).not.toThrow();
  });

  it('child loggers add their bindings to every line', () => {
    const { logger, lines } = capture();
    const child = logger.child({ instance: 'replica-1' }).child({ jobId: 'j1' });
    child.warn('slow', { ms: 900 });
    expect(lines[0]?.record).toMatchObject({ msg: 'slow', instance: 'replica-1', jobId: 'j1', ms: 900 });
  });

  it('writes debug and info to console.log, warn and error to console.error by default', () => {
    const out: string[] = [];
    const err: string[] = [];
    const { log, error } = console;
    console.log = (line: string) => out.push(line);
    console.error = (line: string) => err.push(line);
    try {
      const logger = createLogger({ level: 'debug' });
      logAll(logger);
    } finally {
      console.log = log;
      console.error = error;
    }
    // d and i were held until the warning, which wrote them first, as one write.
    expect(out.flatMap((l) => l.split('\n')).map((l) => JSON.parse(l).msg)).toEqual(['d', 'i']);
    expect(err.map((l) => JSON.parse(l).msg)).toEqual(['w', 'e']);
  });
});

describe('silentLogger', () => {
  it('accepts every call and writes nothing', () => {
    const { log, error } = console;
    const written: unknown[] = [];
    console.log = (...args: unknown[]) => written.push(args);
    console.error = (...args: unknown[]) => written.push(args);
    try {
      silentLogger.debug('a');
      silentLogger.info('b', { x: 1 });
      silentLogger.warn('c');
      silentLogger.error('d', { error: new Error('e') });
    } finally {
      console.log = log;
      console.error = error;
    }
    expect(written).toEqual([]);
  });
});

describe('the default console sink', () => {
  it("writes a turn's debug and info lines as one stdout write, and a warning at once after them", async () => {
    const { log, error } = console;
    const out: string[] = [];
    const err: string[] = [];
    const order: string[] = [];
    console.log = (text: string) => {
      out.push(text);
      order.push('out');
    };
    console.error = (text: string) => {
      err.push(text);
      order.push('err');
    };
    try {
      const logger = createLogger({ level: 'debug', now: () => NOW });
      for (let i = 0; i < 3; i++) logger.info('execution succeeded', { i });
      expect(out).toEqual([]); // held until the end of the turn
      logger.warn('late', { lateMs: 900 });
      expect(order).toEqual(['out', 'err']); // what was held goes first
      expect(out[0]?.split('\n').map((line) => JSON.parse(line).i)).toEqual([0, 1, 2]);
      logger.debug('d1');
      logger.info('i1', { when: new Date(NOW), error: new Error('boom') });
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(out).toHaveLength(2);
      const [d1, i1] = (out[1] ?? '').split('\n').map((line) => JSON.parse(line));
      expect(d1.msg).toBe('d1');
      expect(i1.error.message).toBe('boom');
      logger.info('before exit');
      logger.flush();
      expect(JSON.parse(out[2] ?? '{}').msg).toBe('before exit');
      expect(err).toHaveLength(1);
    } finally {
      console.log = log;
      console.error = error;
    }
  });
});
