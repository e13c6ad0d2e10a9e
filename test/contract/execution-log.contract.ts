/**
 * The ExecutionLog contract (src/core/ports.ts), run against every adapter by
 * test/adapters/execution-log.*.test.ts. `create` is called before each test and must give an empty log.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '../../src/core/errors.ts';
import {
  type Execution,
  type ExecutionStatus,
  MAX_ERROR_MESSAGE_BYTES,
  MAX_ERROR_STACK_BYTES,
  MAX_RESULT_BYTES,
} from '../../src/core/execution.ts';
import type { ExecutionFinish, ExecutionLog, ExecutionQuery } from '../../src/core/ports.ts';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const bytes = (text: string) => new TextEncoder().encode(text).length;

function row(overrides: Partial<Execution> = {}): Execution {
  return {
    id: randomUUID(),
    jobId: 'job-default',
    jobName: 'Default job',
    task: 'http',
    status: 'running',
    triggerKind: 'scheduled',
    scheduledFor: T0,
    startedAt: T0 + 5,
    finishedAt: null,
    durationMs: null,
    attempt: 1,
    instance: 'replica-a',
    owner: null,
    dueAt: null,
    coversUntil: null,
    coveredFires: 1,
    error: null,
    result: null,
    ...overrides,
  };
}

function finish(id: string, overrides: Partial<ExecutionFinish> = {}): ExecutionFinish {
  return {
    id,
    status: 'success',
    startedAt: null,
    finishedAt: T0 + 1_000,
    durationMs: 995,
    error: null,
    result: null,
    ...overrides,
  };
}

/** Newest first, as the port defines it. */
function expectedOrder(rows: Execution[]): Execution[] {
  return [...rows].sort(
    (a, b) =>
      b.scheduledFor - a.scheduledFor || b.attempt - a.attempt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
  );
}

async function walk(log: ExecutionLog, query: Omit<ExecutionQuery, 'after'>): Promise<Execution[]> {
  const seen: Execution[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 1_000; pages++) {
    const page = await log.list({ ...query, after });
    seen.push(...page.items);
    if (!page.hasNextPage) return seen;
    expect(page.items).toHaveLength(query.first);
    after = page.endCursor;
  }
  throw new Error('pagination did not end');
}

export function executionLogContract(name: string, create: () => Promise<ExecutionLog>): void {
  describe(`ExecutionLog contract: ${name}`, () => {
    let log: ExecutionLog;
    let jobId: string;

    beforeEach(async () => {
      log = await create();
      jobId = `job-${randomUUID()}`;
    });
    afterEach(async () => {
      await log.close();
    });

    describe('insert and get', () => {
      it('inserts a batch, returns the inserted ids and reads every field back exactly', async () => {
        const rows = [
          row({ jobId, scheduledFor: T0 + 123, startedAt: T0 + 124 }),
          row({
            jobId,
            status: 'failed',
            triggerKind: 'retry',
            attempt: 2,
            scheduledFor: T0 + 999,
            startedAt: T0 + 1_001,
            finishedAt: T0 + 2_999,
            durationMs: 1_998,
            instance: 'replica-b',
            error: { message: 'boom', stack: 'Error: boom\n    at x (y.ts:1:1)' },
            result: { ok: false, nested: [1, 'two', null, { three: 3.5 }] },
          }),
          row({ jobId, status: 'missed', startedAt: null, finishedAt: T0 + 60_001, scheduledFor: T0 + 1 }),
          row({ jobId, status: 'success', triggerKind: 'manual', scheduledFor: T0 + 7, result: '123' }),
          row({
            jobId,
            status: 'skipped',
            scheduledFor: T0 + 8,
            error: { message: 'no stack', stack: null },
          }),
          row({
            jobId,
            status: 'pending',
            triggerKind: 'retry',
            attempt: 3,
            startedAt: null,
            dueAt: T0 + 30_123,
            instance: 'replica-c',
          }),
          row({ jobId, scheduledFor: T0 + 9, dueAt: T0 + 10 }),
        ];
        const inserted = await log.insert(rows);
        expect(inserted).toEqual(new Set(rows.map((r) => r.id)));
        for (const r of rows) expect(await log.get(r.id)).toEqual(r);
      });

      it('keeps millisecond precision of every time', async () => {
        const times = [
          T0 + 1,
          T0 + 999,
          Date.parse('1999-12-31T23:59:59.999Z'),
          Date.parse('2100-01-01T00:00:00.001Z'),
        ];
        const rows = times.map((t, i) =>
          row({ jobId, scheduledFor: t, startedAt: t + 1, finishedAt: t + 2, attempt: i + 1 }),
        );
        await log.insert(rows);
        for (const r of rows) {
          const got = await log.get(r.id);
          expect([got?.scheduledFor, got?.startedAt, got?.finishedAt]).toEqual([
            r.scheduledFor,
            r.startedAt,
            r.finishedAt,
          ]);
        }
      });

      it('keeps text with quotes, backslashes, braces, commas, newlines and the word NULL exactly', async () => {
        const odd = 'a "quoted" \\ back\\\\slash, {brace} } NULL\nline\ttab \'single\' é 😀';
        const r = row({
          jobId: `${jobId}-{"x"}`,
          jobName: odd,
          task: 'NULL',
          instance: '\\',
          owner: '"',
          status: 'failed',
          finishedAt: T0 + 9,
          error: { message: odd, stack: `${odd}\n${odd}` },
          result: { text: odd, NULL: null, list: ['{', '}', '"', '\\'] },
        });
        await log.insert([r]);
        expect(await log.get(r.id)).toEqual(r);
        await log.finish([finish(r.id)]);
        expect(await log.get(r.id)).toEqual(r);
      });

      it('stores a run written once in its final state, and a repeated call (lost reply) returns its id', async () => {
        const done = row({
          jobId,
          status: 'success',
          startedAt: T0 + 3,
          finishedAt: T0 + 40,
          durationMs: 37,
          owner: 'replica-a/life',
          dueAt: T0,
          result: { status: 200 },
        });
        expect(await log.insert([done])).toEqual(new Set([done.id]));
        expect(await log.insert([done])).toEqual(new Set([done.id]));
        await log.finish([finish(done.id, { status: 'failed' })]);
        expect(await log.get(done.id)).toEqual(done);
        expect(await log.listRunning(T0 + 1_000_000, 10)).toEqual([]);
      });

      it('returns null for an unknown id and for a string that is not a UUID', async () => {
        expect(await log.get(randomUUID())).toBeNull();
        expect(await log.get('not-a-uuid')).toBeNull();
      });

      it('round-trips a covering record: first fire, last fire and how many', async () => {
        const covering = row({
          jobId,
          status: 'missed',
          startedAt: null,
          scheduledFor: T0,
          coversUntil: T0 + 59 * 60_000,
          coveredFires: 60,
          finishedAt: T0 + 3_600_000,
          error: { message: '60 fires missed while the scheduler was down', stack: null },
        });
        const single = row({ jobId, status: 'skipped', attempt: 2, coversUntil: T0, coveredFires: 1 });
        expect(await log.insert([covering, single])).toEqual(new Set([covering.id, single.id]));
        expect(await log.get(covering.id)).toEqual(covering);
        expect(await log.get(single.id)).toEqual(single);
        expect((await log.list({ first: 10, jobId })).items.map((r) => r.coveredFires)).toEqual([1, 60]);
      });

      it('rejects inconsistent or missing new fields, naming the field', async () => {
        const cases: [Partial<Execution>, string][] = [
          [{ coveredFires: 0 }, 'coveredFires'],
          [{ coveredFires: 1.5 }, 'coveredFires'],
          [{ coveredFires: 3 }, 'coveredFires'], // many fires but no range
          [{ coversUntil: T0 + 60_000, coveredFires: 1 }, 'coveredFires'],
          [{ coversUntil: T0 - 1, coveredFires: 2 }, 'coversUntil'],
          [{ coversUntil: 1.5 }, 'coversUntil'],
          [{ dueAt: Number.NaN }, 'dueAt'],
          [{ status: 'pending', dueAt: null }, 'dueAt'],
          [{ dueAt: undefined as unknown as null }, 'dueAt'],
          [{ coversUntil: undefined as unknown as null }, 'coversUntil'],
          [{ coveredFires: undefined as unknown as number }, 'coveredFires'],
        ];
        for (const [overrides, field] of cases) {
          const error = await log.insert([row({ jobId, ...overrides })]).catch((e: unknown) => e);
          expect(error, JSON.stringify(overrides)).toBeInstanceOf(ValidationError);
          expect((error as ValidationError).field, JSON.stringify(overrides)).toBe(field);
        }
        expect((await log.list({ first: 1, jobId })).items).toEqual([]);
      });

      it('returns an empty set for an empty batch', async () => {
        expect(await log.insert([])).toEqual(new Set());
      });

      it('rejects a row whose id is not a UUID, naming the field', async () => {
        const error = await log.insert([row({ jobId, id: 'nope' })]).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe('id');
      });

      it('inserts a batch of 5,000 rows in one call', async () => {
        const rows = Array.from({ length: 5_000 }, (_, i) =>
          row({ jobId, scheduledFor: T0 + i * 1_000, result: { i } }),
        );
        const inserted = await log.insert(rows);
        expect(inserted.size).toBe(5_000);
        const page = await log.list({ first: 5_000, jobId });
        expect(page.items).toHaveLength(5_000);
        expect(page.hasNextPage).toBe(false);
        expect(page.items[0]?.result).toEqual({ i: 4_999 });

        await log.finish(rows.map((r) => finish(r.id)));
        const done = await log.list({ first: 5_001, jobId, status: ['success'] });
        expect(done.items).toHaveLength(5_000);
      });
    });

    describe('the fire key (jobId, scheduledFor, attempt)', () => {
      it('silently skips a row whose fire key exists and leaves the original unchanged', async () => {
        const original = row({ jobId });
        await log.insert([original]);
        const duplicate = row({ jobId, instance: 'replica-b', status: 'skipped', startedAt: null });
        const other = row({ jobId, attempt: 2 });

        const inserted = await log.insert([duplicate, other]);

        expect(inserted).toEqual(new Set([other.id]));
        expect(await log.get(original.id)).toEqual(original);
        expect(await log.get(duplicate.id)).toBeNull();
      });

      it('keeps only the first of two rows with the same key in one batch', async () => {
        const first = row({ jobId, instance: 'first' });
        const second = row({ jobId, instance: 'second' });
        expect(await log.insert([first, second])).toEqual(new Set([first.id]));
        expect(await log.get(second.id)).toBeNull();
      });

      it('treats the same key of another job, time or attempt as a different fire', async () => {
        const rows = [
          row({ jobId }),
          row({ jobId: `${jobId}-other` }),
          row({ jobId, scheduledFor: T0 + 1 }),
          row({ jobId, attempt: 2 }),
        ];
        expect((await log.insert(rows)).size).toBe(4);
      });

      it('returns the ids again when a call is repeated (its reply was lost), storing nothing twice', async () => {
        const a = row({ jobId, attempt: 1 });
        const b = row({ jobId, attempt: 2, status: 'pending', startedAt: null, dueAt: T0 + 1_000 });
        expect(await log.insert([a, b])).toEqual(new Set([a.id, b.id]));

        const c = row({ jobId, attempt: 3 });
        expect(await log.insert([a, b, c])).toEqual(new Set([a.id, b.id, c.id]));
        expect(await log.insert([b])).toEqual(new Set([b.id]));
        // Upper-case ids are the same ids.
        expect(await log.insert([{ ...a, id: a.id.toUpperCase() }])).toEqual(new Set([a.id]));

        expect(await log.get(a.id)).toEqual(a);
        expect(await log.get(b.id)).toEqual(b);
        expect((await log.list({ first: 10, jobId })).items).toHaveLength(3);
      });

      it('returns a repeated id even after its row changed, and leaves the row as it is now', async () => {
        const r = row({ jobId });
        await log.insert([r]);
        await log.finish([finish(r.id)]);
        const now = await log.get(r.id);
        expect(await log.insert([r])).toEqual(new Set([r.id]));
        expect(await log.get(r.id)).toEqual(now);
        expect(now?.status).toBe('success');
      });

      it('does not return a row whose fire key is stored under another id, also in a repeated call', async () => {
        const original = row({ jobId });
        const mine = row({ jobId, attempt: 2 });
        const rival = row({ jobId, instance: 'replica-b' });
        await log.insert([original]);
        expect(await log.insert([rival, mine])).toEqual(new Set([mine.id]));
        expect(await log.insert([rival, mine])).toEqual(new Set([mine.id]));
        expect(await log.get(rival.id)).toBeNull();
        expect(await log.get(original.id)).toEqual(original);
      });

      it('rejects a reused id under another fire key with ConflictError and stores nothing of the batch', async () => {
        const existing = row({ jobId });
        await log.insert([existing]);
        const fresh = row({ jobId, attempt: 5 });
        const reused = row({ jobId, id: existing.id, attempt: 9 });
        await expect(log.insert([fresh, reused])).rejects.toBeInstanceOf(ConflictError);
        expect(await log.get(fresh.id)).toBeNull();
        expect(await log.get(existing.id)).toEqual(existing);
      });
    });

    describe('finish', () => {
      it('moves a running row to its final state', async () => {
        const r = row({ jobId });
        await log.insert([r]);
        await log.finish([
          finish(r.id, {
            status: 'failed',
            error: { message: 'bad', stack: 'Error: bad' },
            result: { partial: true },
          }),
        ]);
        expect(await log.get(r.id)).toEqual({
          ...r,
          status: 'failed',
          finishedAt: T0 + 1_000,
          durationMs: 995,
          error: { message: 'bad', stack: 'Error: bad' },
          result: { partial: true },
        });
      });

      it('finishes a batch, each row with its own values', async () => {
        const rows = Array.from({ length: 50 }, (_, i) => row({ jobId, attempt: i + 1 }));
        await log.insert(rows);
        const statuses: ExecutionStatus[] = ['success', 'failed', 'timed_out'];
        await log.finish(
          rows.map((r, i) =>
            finish(r.id, {
              status: statuses[i % 3] as ExecutionFinish['status'],
              finishedAt: T0 + i,
              durationMs: i,
              result: i,
            }),
          ),
        );
        for (const [i, r] of rows.entries()) {
          const got = await log.get(r.id);
          expect([got?.status, got?.finishedAt, got?.durationMs, got?.result]).toEqual([
            statuses[i % 3],
            T0 + i,
            i,
            i,
          ]);
        }
      });

      it('ignores a late finish of a row already final (timed out, abandoned or finished)', async () => {
        const timedOut = row({ jobId, attempt: 1 });
        const abandoned = row({ jobId, attempt: 2 });
        const done = row({ jobId, attempt: 3 });
        await log.insert([timedOut, abandoned, done]);
        await log.finish([finish(timedOut.id, { status: 'timed_out' }), finish(done.id)]);
        await log.abandon([abandoned.id], T0 + 500, 'replica died');
        const before = await Promise.all([timedOut, abandoned, done].map((r) => log.get(r.id)));

        await log.finish(
          [timedOut, abandoned, done].map((r) =>
            finish(r.id, {
              status: 'failed',
              finishedAt: T0 + 9_000,
              error: { message: 'late', stack: null },
            }),
          ),
        );

        const after = await Promise.all([timedOut, abandoned, done].map((r) => log.get(r.id)));
        expect(after).toEqual(before);
        expect(after.map((r) => r?.status)).toEqual(['timed_out', 'abandoned', 'success']);
      });

      it('ignores a row inserted already final (missed, skipped)', async () => {
        const missed = row({ jobId, status: 'missed', startedAt: null, finishedAt: T0 });
        await log.insert([missed]);
        await log.finish([finish(missed.id)]);
        expect(await log.get(missed.id)).toEqual(missed);
      });

      it('keeps the first of two finishes of one id in a batch', async () => {
        const r = row({ jobId });
        await log.insert([r]);
        await log.finish([finish(r.id, { status: 'timed_out' }), finish(r.id, { status: 'success' })]);
        expect((await log.get(r.id))?.status).toBe('timed_out');
      });

      it('ignores unknown and malformed ids', async () => {
        const r = row({ jobId });
        await log.insert([r]);
        await log.finish([finish(randomUUID()), finish('not-a-uuid'), finish(r.id)]);
        expect((await log.get(r.id))?.status).toBe('success');
      });

      it('rejects `running` and `pending` as final statuses', async () => {
        for (const status of ['running', 'pending', 'nope']) {
          const error = await log
            .finish([finish(randomUUID(), { status: status as ExecutionFinish['status'] })])
            .catch((e: unknown) => e);
          expect(error, status).toBeInstanceOf(ValidationError);
        }
      });

      it('moves a pending row to a final status (a retry cancelled before it was due)', async () => {
        const r = row({ jobId, status: 'pending', startedAt: null, dueAt: T0 + 60_000, attempt: 2 });
        await log.insert([r]);
        await log.finish([
          finish(r.id, {
            status: 'skipped',
            durationMs: null,
            error: { message: 'job removed', stack: null },
          }),
        ]);
        expect(await log.get(r.id)).toEqual({
          ...r,
          status: 'skipped',
          finishedAt: T0 + 1_000,
          error: { message: 'job removed', stack: null },
        });
        expect(await log.nextPendingAt()).toBeNull();
      });

      it('writes startedAt when the finish carries one and keeps the stored one when it is null', async () => {
        const claimed = row({ jobId, attempt: 1, startedAt: null });
        const started = row({ jobId, attempt: 2, startedAt: T0 + 5 });
        const never = row({ jobId, attempt: 3, startedAt: null });
        await log.insert([claimed, started, never]);
        await log.finish([
          finish(claimed.id, { startedAt: T0 + 42 }),
          finish(started.id, { startedAt: null }),
          finish(never.id, { status: 'skipped', startedAt: null, durationMs: null }),
        ]);
        expect((await log.get(claimed.id))?.startedAt).toBe(T0 + 42);
        expect((await log.get(started.id))?.startedAt).toBe(T0 + 5);
        expect((await log.get(never.id))?.startedAt).toBeNull();
      });

      it('is idempotent: finishing again, with the same or other values, changes nothing', async () => {
        const r = row({ jobId, startedAt: null });
        await log.insert([r]);
        const update = finish(r.id, { startedAt: T0 + 7, result: { n: 1 } });
        await log.finish([update]);
        const once = await log.get(r.id);
        await log.finish([update]);
        await log.finish([finish(r.id, { status: 'failed', startedAt: T0 + 99, result: { n: 2 } })]);
        expect(await log.get(r.id)).toEqual(once);
        expect([once?.status, once?.startedAt, once?.result]).toEqual(['success', T0 + 7, { n: 1 }]);
      });

      it('rejects a startedAt that is not epoch ms', async () => {
        const error = await log
          .finish([finish(randomUUID(), { startedAt: Number.NaN })])
          .catch((e: unknown) => e);
        expect((error as ValidationError).field).toBe('startedAt');
      });
    });

    describe('size bounds', () => {
      it('bounds error message to 8 KiB and stack to 32 KiB on insert', async () => {
        const r = row({
          jobId,
          status: 'failed',
          error: { message: 'm'.repeat(9 * 1024), stack: 's'.repeat(40 * 1024) },
        });
        await log.insert([r]);
        const got = await log.get(r.id);
        expect(bytes(got?.error?.message ?? '')).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_BYTES);
        expect(bytes(got?.error?.stack ?? '')).toBeLessThanOrEqual(MAX_ERROR_STACK_BYTES);
        expect(got?.error?.message).toMatch(/^m{7000,}…\[truncated\]$/);
        expect(got?.error?.stack).toMatch(/^s{30000,}…\[truncated\]$/);
      });

      it('bounds multibyte error text on finish without splitting a character', async () => {
        const r = row({ jobId });
        await log.insert([r]);
        const message = '€😀'.repeat(2_000); // 7 bytes each: 14,000 bytes
        const stack = 'ü'.repeat(20_000); // 40,000 bytes
        await log.finish([finish(r.id, { status: 'failed', error: { message, stack } })]);
        const got = await log.get(r.id);
        const gotMessage = got?.error?.message ?? '';
        const gotStack = got?.error?.stack ?? '';
        expect(bytes(gotMessage)).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_BYTES);
        expect(bytes(gotStack)).toBeLessThanOrEqual(MAX_ERROR_STACK_BYTES);
        expect(gotMessage).not.toContain('\uFFFD');
        expect(gotStack).not.toContain('\uFFFD');
        const head = gotMessage.replace('…[truncated]', '');
        expect(message.startsWith(head)).toBe(true);
        expect(head.length).toBeGreaterThan(2_000);
      });

      it('keeps a small result and replaces an oversized one by a note', async () => {
        const small = row({ jobId, status: 'success', result: { ok: true, items: [1, 2, 3] } });
        const big = row({ jobId, attempt: 2 });
        await log.insert([small, big]);
        await log.finish([finish(big.id, { result: { blob: 'x'.repeat(20 * 1024) } })]);
        expect((await log.get(small.id))?.result).toEqual({ ok: true, items: [1, 2, 3] });
        const note = (await log.get(big.id))?.result as { truncated: boolean; bytes: number };
        expect(note.truncated).toBe(true);
        expect(note.bytes).toBeGreaterThan(MAX_RESULT_BYTES);
      });
    });

    describe('characters PostgreSQL cannot store', () => {
      it('replaces NUL and lone surrogates in errors and results by U+FFFD instead of failing the batch', async () => {
        const bad = 'a\u0000b\uD83Dc\uDE00d😀';
        const inserted = row({ jobId, status: 'failed', error: { message: bad, stack: bad } });
        const finished = row({ jobId, attempt: 2 });
        await log.insert([inserted, finished]);
        await log.finish([finish(finished.id, { result: { [bad]: [bad, { nested: bad }] } })]);

        const clean = 'a\uFFFDb\uFFFDc\uFFFDd😀';
        expect((await log.get(inserted.id))?.error).toEqual({ message: clean, stack: clean });
        expect((await log.get(finished.id))?.result).toEqual({ [clean]: [clean, { nested: clean }] });
      });
    });

    describe('list', () => {
      // Two jobs, several attempts and ties on (scheduledFor, attempt) across jobs, so the id decides.
      async function seed(): Promise<Execution[]> {
        const other = `${jobId}-b`;
        const statuses: ExecutionStatus[] = ['success', 'failed', 'running', 'missed'];
        const rows: Execution[] = [];
        for (let i = 0; i < 12; i++)
          for (const [j, owner] of [jobId, other].entries())
            rows.push(
              row({
                jobId: owner,
                scheduledFor: T0 + Math.floor(i / 3) * 60_000,
                attempt: (i % 3) + 1,
                status: statuses[(i + j) % 4],
              }),
            );
        await log.insert(rows);
        return rows;
      }

      it('lists newest first: scheduledFor, then attempt, then id, all descending', async () => {
        const rows = await seed();
        const page = await log.list({ first: 100 });
        expect(page.items.map((r) => r.id)).toEqual(expectedOrder(rows).map((r) => r.id));
        expect(page.hasNextPage).toBe(false);
      });

      it('walks every page with no duplicate and no gap', async () => {
        const rows = await seed();
        for (const first of [1, 5, 7, 24]) {
          const all = await walk(log, { first });
          expect(all.map((r) => r.id)).toEqual(expectedOrder(rows).map((r) => r.id));
        }
      });

      it('reports hasNextPage and endCursor at the edges', async () => {
        const rows = await seed();
        const exact = await log.list({ first: rows.length });
        expect(exact.hasNextPage).toBe(false);
        const last = exact.items.at(-1);
        expect(exact.endCursor).not.toBeNull();
        expect(last?.id).toBe(expectedOrder(rows).at(-1)?.id);

        const beyond = await log.list({ first: 10, after: exact.endCursor });
        expect(beyond).toEqual({ items: [], hasNextPage: false, endCursor: null });

        const none = await log.list({ first: 0 });
        expect(none.items).toEqual([]);
        expect(none.hasNextPage).toBe(true);
        expect(none.endCursor).toBeNull();
      });

      it('filters by job', async () => {
        const rows = await seed();
        const mine = expectedOrder(rows.filter((r) => r.jobId === jobId));
        expect((await walk(log, { first: 5, jobId })).map((r) => r.id)).toEqual(mine.map((r) => r.id));
        expect((await log.list({ first: 5, jobId: `${jobId}-none` })).items).toEqual([]);
      });

      it('filters by one or several statuses; an empty list means any', async () => {
        const rows = await seed();
        const failed = expectedOrder(rows.filter((r) => r.status === 'failed'));
        expect((await walk(log, { first: 2, status: ['failed'] })).map((r) => r.id)).toEqual(
          failed.map((r) => r.id),
        );
        const some = expectedOrder(rows.filter((r) => r.status === 'running' || r.status === 'missed'));
        expect((await walk(log, { first: 4, status: ['running', 'missed'] })).map((r) => r.id)).toEqual(
          some.map((r) => r.id),
        );
        expect((await log.list({ first: 100, status: [] })).items).toHaveLength(rows.length);
      });

      it('filters by since (inclusive) and until (exclusive) on scheduledFor', async () => {
        const rows = await seed();
        const since = T0 + 60_000;
        const until = T0 + 180_000;
        const inWindow = expectedOrder(rows.filter((r) => r.scheduledFor >= since && r.scheduledFor < until));
        expect(inWindow.length).toBeGreaterThan(0);
        expect((await walk(log, { first: 4, since, until })).map((r) => r.id)).toEqual(
          inWindow.map((r) => r.id),
        );
        expect((await log.list({ first: 100, since: T0 + 180_000 })).items).toHaveLength(6);
        expect((await log.list({ first: 100, until: T0 + 1 })).items).toHaveLength(6);
      });

      it('combines every filter', async () => {
        const rows = await seed();
        const expected = expectedOrder(
          rows.filter(
            (r) =>
              r.jobId === jobId &&
              (r.status === 'success' || r.status === 'failed') &&
              r.scheduledFor >= T0 + 60_000 &&
              r.scheduledFor < T0 + 240_000,
          ),
        );
        const got = await walk(log, {
          first: 1,
          jobId,
          status: ['success', 'failed'],
          since: T0 + 60_000,
          until: T0 + 240_000,
        });
        expect(got.map((r) => r.id)).toEqual(expected.map((r) => r.id));
      });

      it('rejects a malformed cursor and a negative page size, naming the field', async () => {
        for (const after of ['garbage', 'W10', btoa('[1,2,"x"]')]) {
          const error = await log.list({ first: 1, after }).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(ValidationError);
          expect((error as ValidationError).field).toBe('after');
        }
        const error = await log.list({ first: -1 }).catch((e: unknown) => e);
        expect((error as ValidationError).field).toBe('first');
      });
    });

    describe('latestByJob', () => {
      it('returns the newest row of each job asked for, in one call', async () => {
        const a = `${jobId}-a`;
        const b = `${jobId}-b`;
        const rows = [
          row({ jobId: a, scheduledFor: T0 }),
          row({ jobId: a, scheduledFor: T0 + 60_000, attempt: 1 }),
          row({ jobId: a, scheduledFor: T0 + 60_000, attempt: 2, triggerKind: 'retry' }),
          row({ jobId: a, scheduledFor: T0 - 60_000, attempt: 3 }),
          row({ jobId: b, scheduledFor: T0 + 5 }),
          row({ jobId: `${jobId}-not-asked`, scheduledFor: T0 + 999_999 }),
        ];
        await log.insert(rows);
        const latest = await log.latestByJob([a, b, `${jobId}-none`, a]);
        expect([...latest.keys()].sort()).toEqual([a, b]);
        expect(latest.get(a)).toEqual(rows[2]);
        expect(latest.get(b)).toEqual(rows[4]);
        expect(await log.latestByJob([])).toEqual(new Map());
      });
    });

    describe('abandon', () => {
      it('marks running and pending rows abandoned with the reason and returns them as stored', async () => {
        const running = [row({ jobId, attempt: 1 }), row({ jobId, attempt: 2 })];
        const pending = row({ jobId, attempt: 3, status: 'pending', startedAt: null, dueAt: T0 + 9_000 });
        const done = row({ jobId, attempt: 4 });
        const missed = row({ jobId, attempt: 5, status: 'missed', startedAt: null, finishedAt: T0 });
        await log.insert([...running, pending, done, missed]);
        await log.finish([finish(done.id)]);
        const doneBefore = await log.get(done.id);

        const changed = await log.abandon(
          [
            running[1]!.id,
            pending.id.toUpperCase(),
            done.id,
            missed.id,
            running[0]!.id,
            randomUUID(),
            'not-a-uuid',
            running[1]!.id,
          ],
          T0 + 7_777,
          'the replica stopped before the execution finished',
        );

        const error = { message: 'the replica stopped before the execution finished', stack: null };
        expect(changed).toEqual(
          [running[1]!, pending, running[0]!].map((r) => ({
            ...r,
            status: 'abandoned',
            finishedAt: T0 + 7_777,
            error,
          })),
        );
        for (const r of changed) expect(await log.get(r.id)).toEqual(r);
        expect(await log.get(done.id)).toEqual(doneBefore);
        expect(await log.get(missed.id)).toEqual(missed);
        expect(await log.nextPendingAt()).toBeNull();

        expect(await log.abandon([running[0]!.id], T0 + 8_000, 'again')).toEqual([]);
        expect((await log.get(running[0]!.id))?.error).toEqual(error);
        expect(await log.abandon([], T0, 'nothing')).toEqual([]);
      });

      it('bounds the reason like any error message', async () => {
        const r = row({ jobId });
        await log.insert([r]);
        const [changed] = await log.abandon([r.id], T0, `x\u0000${'r'.repeat(10 * 1024)}`);
        expect(bytes(changed?.error?.message ?? '')).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_BYTES);
        expect(changed?.error?.message).toMatch(/^x\uFFFDr{7000,}…\[truncated\]$/);
        expect(await log.get(r.id)).toEqual(changed);
      });

      it('leaves a finish that arrives after it without effect', async () => {
        const r = row({ jobId });
        await log.insert([r]);
        const [abandoned] = await log.abandon([r.id], T0 + 1, 'gone');
        await log.finish([finish(r.id, { startedAt: T0 + 2 })]);
        expect(await log.get(r.id)).toEqual(abandoned);
      });
    });

    describe('pending retries: claimPending and nextPendingAt', () => {
      function pending(attempt: number, dueAt: number, overrides: Partial<Execution> = {}): Execution {
        return row({
          jobId,
          status: 'pending',
          triggerKind: 'retry',
          attempt,
          startedAt: null,
          dueAt,
          instance: 'scheduler-of-retry',
          ...overrides,
        });
      }

      it('takes due pending rows earliest dueAt first, up to the limit, and marks them running', async () => {
        const rows = [
          pending(2, T0 + 300),
          pending(3, T0 + 100),
          pending(4, T0 + 200),
          pending(5, T0 + 1_000), // due exactly at `now`
          pending(6, T0 + 1_001), // not due yet
        ];
        const running = row({ jobId, attempt: 1, dueAt: T0 });
        await log.insert([...rows, running]);

        const first = await log.claimPending(T0 + 1_000, 2, 'replica-x');
        expect(first).toEqual(
          [rows[1]!, rows[2]!].map((r) => ({ ...r, status: 'running', instance: 'replica-x' })),
        );
        for (const r of first) expect(await log.get(r.id)).toEqual(r);

        const rest = await log.claimPending(T0 + 1_000, 10, 'replica-y');
        expect(rest.map((r) => r.id)).toEqual([rows[0]!.id, rows[3]!.id]);
        expect(rest.map((r) => [r.status, r.instance])).toEqual([
          ['running', 'replica-y'],
          ['running', 'replica-y'],
        ]);
        expect(await log.claimPending(T0 + 1_000, 10, 'replica-y')).toEqual([]);
        expect(await log.get(rows[4]!.id)).toEqual(rows[4]);
        expect(await log.get(running.id)).toEqual(running);
        expect(await log.claimPending(T0 + 1_001, 0, 'replica-y')).toEqual([]);
        expect((await log.claimPending(T0 + 1_001, 1, 'replica-y')).map((r) => r.id)).toEqual([rows[4]!.id]);
      });

      it('breaks a tie on dueAt by id, so every adapter hands out the same rows', async () => {
        const rows = Array.from({ length: 6 }, (_, i) => pending(i + 2, T0 + 50));
        await log.insert(rows);
        const ids = rows.map((r) => r.id).sort();
        expect((await log.claimPending(T0 + 50, 3, 'x')).map((r) => r.id)).toEqual(ids.slice(0, 3));
        expect((await log.claimPending(T0 + 50, 3, 'x')).map((r) => r.id)).toEqual(ids.slice(3));
      });

      it('never gives one row to two concurrent callers', async () => {
        const rows = Array.from({ length: 60 }, (_, i) => pending(i + 2, T0 + (i % 7)));
        await log.insert(rows);
        const batches = await Promise.all(
          Array.from({ length: 8 }, (_, i) => log.claimPending(T0 + 10, 10, `replica-${i}`)),
        );
        const claimed = batches.flat();
        for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(10);
        expect(new Set(claimed.map((r) => r.id)).size).toBe(claimed.length);
        for (const [i, batch] of batches.entries())
          for (const r of batch)
            expect(await log.get(r.id)).toMatchObject({ status: 'running', instance: `replica-${i}` });
        const rest = await log.claimPending(T0 + 10, 100, 'late');
        const all = [...claimed, ...rest].map((r) => r.id);
        expect(new Set(all).size).toBe(60);
        expect(new Set(all)).toEqual(new Set(rows.map((r) => r.id)));
      });

      it('keeps a backfill row’s overlap policy through claim and finish; other rows have none', async () => {
        const policies = ['skip', 'buffer_one', 'buffer_all', 'cancel_other'] as const;
        const rows = policies.map((overlap, i) =>
          pending(1, T0 + i, { scheduledFor: T0 + i * 60_000, triggerKind: 'backfill', overlap }),
        );
        const retry = pending(2, T0 + 10);
        await log.insert([...rows, retry]);
        const claimed = await log.claimPending(T0 + 10, 10, 'replica-x');
        expect(claimed.map((r) => r.overlap)).toEqual([...policies, undefined]);
        expect('overlap' in (claimed[4] as Execution)).toBe(false);
        await log.finish([finish(rows[1]!.id, { status: 'skipped' })]);
        expect(await log.get(rows[1]!.id)).toMatchObject({ status: 'skipped', overlap: 'buffer_one' });
        for (const [overrides, message] of [
          [{ overlap: 'allow_all' }, /unknown/],
          [{ triggerKind: 'retry', overlap: 'skip' }, /only a backfill row/],
        ] as const) {
          const bad = pending(1, T0, { triggerKind: 'backfill', ...(overrides as Partial<Execution>) });
          const error = await log.insert([bad]).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(ValidationError);
          expect((error as ValidationError).field).toBe('overlap');
          expect((error as Error).message).toMatch(message);
        }
      });

      it('rejects a negative or fractional limit, naming the field', async () => {
        for (const limit of [-1, 1.5]) {
          const error = await log.claimPending(T0, limit, 'x').catch((e: unknown) => e);
          expect((error as ValidationError).field).toBe('limit');
        }
      });

      it('reports the earliest dueAt of a pending row, or null', async () => {
        expect(await log.nextPendingAt()).toBeNull();
        const late = pending(2, T0 + 5_000);
        const early = pending(3, T0 + 2_000);
        // Running and final rows with an earlier dueAt do not count.
        const running = row({ jobId, attempt: 4, dueAt: T0 });
        const failed = row({ jobId, attempt: 5, status: 'failed', dueAt: T0 - 1, finishedAt: T0 });
        await log.insert([late, early, running, failed]);
        expect(await log.nextPendingAt()).toBe(T0 + 2_000);
        await log.claimPending(T0 + 2_000, 10, 'x');
        expect(await log.nextPendingAt()).toBe(T0 + 5_000);
        await log.finish([finish(late.id, { status: 'skipped' })]);
        expect(await log.nextPendingAt()).toBeNull();
      });

      it('keeps pending rows through retention (they have not finished)', async () => {
        const r = pending(2, T0 - 86_400_000, { scheduledFor: T0 - 86_400_000 });
        await log.insert([r]);
        expect(await log.deleteFinishedBefore(T0 + 86_400_000)).toBe(0);
        expect(await log.get(r.id)).toEqual(r);
      });

      it('lists pending rows by status', async () => {
        const p = pending(2, T0 + 1);
        await log.insert([p, row({ jobId, attempt: 1 })]);
        expect((await log.list({ first: 10, status: ['pending'] })).items).toEqual([p]);
      });
    });

    describe('listRunning', () => {
      it('lists running rows whose dueAt (else scheduledFor) is before the instant, oldest first', async () => {
        const rows = {
          // due at T0 + 300 although scheduled earlier: dueAt wins
          retried: row({ jobId, attempt: 1, scheduledFor: T0, dueAt: T0 + 300 }),
          noDue: row({ jobId, attempt: 2, scheduledFor: T0 + 100, dueAt: null }),
          oldest: row({ jobId: `${jobId}-b`, scheduledFor: T0 + 50, dueAt: T0 + 50 }),
          edge: row({ jobId, attempt: 3, scheduledFor: T0 + 200, dueAt: T0 + 1_000 }),
          recent: row({ jobId, attempt: 4, scheduledFor: T0 + 5_000 }),
          pending: row({ jobId, attempt: 5, status: 'pending', startedAt: null, dueAt: T0 + 10 }),
          done: row({ jobId, attempt: 6, scheduledFor: T0 - 1_000 }),
          missed: row({
            jobId,
            attempt: 7,
            status: 'missed',
            startedAt: null,
            finishedAt: T0,
            scheduledFor: T0 - 5,
          }),
        };
        await log.insert(Object.values(rows));
        await log.finish([finish(rows.done.id)]);

        const expected = [rows.oldest, rows.noDue, rows.retried];
        expect(await log.listRunning(T0 + 1_000, 100)).toEqual(expected);
        expect(await log.listRunning(T0 + 1_000, 2)).toEqual(expected.slice(0, 2));
        expect(await log.listRunning(T0 + 1_001, 100)).toEqual([...expected, rows.edge]);
        expect(await log.listRunning(T0 + 50, 100)).toEqual([]);
        expect(await log.listRunning(T0 + 1_000, 0)).toEqual([]);
      });

      it('breaks ties by id and rejects a bad limit', async () => {
        const rows = Array.from({ length: 5 }, (_, i) => row({ jobId: `${jobId}-${i}`, dueAt: T0 }));
        await log.insert(rows);
        expect((await log.listRunning(T0 + 1, 10)).map((r) => r.id)).toEqual(rows.map((r) => r.id).sort());
        const error = await log.listRunning(T0, -1).catch((e: unknown) => e);
        expect((error as ValidationError).field).toBe('limit');
      });
    });

    describe('rows of a replica life: listRunningOf and requeue', () => {
      it('lists the running rows a life holds, oldest first, and requeues those that never started', async () => {
        const rows = {
          later: row({ jobId, attempt: 1, owner: 'a/1', startedAt: null, dueAt: T0 + 200 }),
          earlier: row({ jobId, attempt: 2, owner: 'a/1', startedAt: null, dueAt: T0 + 100 }),
          noDue: row({
            jobId: `${jobId}-b`,
            owner: 'a/1',
            startedAt: null,
            dueAt: null,
            scheduledFor: T0 + 150,
          }),
          otherLife: row({ jobId, attempt: 3, owner: 'b/1', dueAt: T0 }),
          unowned: row({ jobId, attempt: 4, dueAt: T0 }),
          done: row({ jobId, attempt: 5, owner: 'a/1', dueAt: T0 }),
        };
        await log.insert(Object.values(rows));
        await log.finish([finish(rows.done.id)]);
        expect(await log.listRunningOf('a/1', 10)).toEqual([rows.earlier, rows.noDue, rows.later]);
        expect(await log.listRunningOf('a/1', 1)).toEqual([rows.earlier]);
        expect(await log.listRunningOf('nobody', 10)).toEqual([]);

        const back = await log.requeue([
          rows.later.id,
          rows.noDue.id,
          rows.done.id,
          randomUUID(),
          'not-a-uuid',
        ]);
        // Pending again, owner cleared, due at its due time (its scheduled time when it had none).
        expect(back).toEqual([
          { ...rows.noDue, status: 'pending', owner: null, dueAt: T0 + 150 },
          { ...rows.later, status: 'pending', owner: null },
        ]);
        expect(await log.listRunningOf('a/1', 10)).toEqual([rows.earlier]);
        expect(await log.requeue([rows.later.id])).toEqual([]);
        const claimed = await log.claimPending(T0 + 1_000, 10, 'replica-c', 'c/1');
        expect(claimed.map((r) => [r.id, r.status, r.instance, r.owner])).toEqual([
          [rows.noDue.id, 'running', 'replica-c', 'c/1'],
          [rows.later.id, 'running', 'replica-c', 'c/1'],
        ]);
        expect(await log.listRunningOf('c/1', 10)).toHaveLength(2);
      });
    });

    describe('deleteFinishedBefore', () => {
      it('deletes final rows finished before the instant, never running ones', async () => {
        const old = row({ jobId, attempt: 1 });
        const edge = row({ jobId, attempt: 2 });
        const recent = row({ jobId, attempt: 3 });
        const running = row({ jobId, attempt: 4, scheduledFor: T0 - 86_400_000 });
        const missed = row({ jobId, attempt: 5, status: 'missed', startedAt: null, finishedAt: T0 - 1 });
        await log.insert([old, edge, recent, running, missed]);
        await log.finish([
          finish(old.id, { finishedAt: T0 - 10 }),
          finish(edge.id, { finishedAt: T0 }),
          finish(recent.id, { finishedAt: T0 + 10 }),
        ]);

        expect(await log.deleteFinishedBefore(T0)).toBe(2);

        expect(await log.get(old.id)).toBeNull();
        expect(await log.get(missed.id)).toBeNull();
        for (const kept of [edge, recent, running]) expect(await log.get(kept.id)).not.toBeNull();
        expect(await log.deleteFinishedBefore(T0)).toBe(0);
      });

      it('frees the fire key of a deleted row', async () => {
        const r = row({ jobId, status: 'success', finishedAt: T0 });
        await log.insert([r]);
        await log.deleteFinishedBefore(T0 + 1);
        const again = row({ jobId });
        expect(await log.insert([again])).toEqual(new Set([again.id]));
      });
    });

    describe('count and stats', () => {
      it('counts the rows a list with the same filters returns', async () => {
        const other = `${jobId}-other`;
        const rows = [
          row({ jobId, status: 'success', scheduledFor: T0, finishedAt: T0 + 10 }),
          row({ jobId, status: 'failed', scheduledFor: T0 + 1_000, finishedAt: T0 + 1_010 }),
          row({ jobId, status: 'success', scheduledFor: T0 + 2_000, finishedAt: T0 + 2_010 }),
          row({ jobId: other, status: 'success', scheduledFor: T0 + 1_000, finishedAt: T0 + 1_010 }),
          row({ jobId: other, status: 'running', scheduledFor: T0 + 3_000 }),
        ];
        await log.insert(rows);
        const filters = [
          { jobId },
          { jobId, status: ['success' as const] },
          { jobId: other, status: ['running' as const, 'failed' as const] },
          { jobId, since: T0 + 1_000 },
          { jobId, since: T0 + 1_000, until: T0 + 2_000 },
          { status: ['success' as const] },
        ];
        for (const filter of filters) {
          const listed = (await log.list({ ...filter, first: 100 })).items.length;
          expect(await log.count(filter), JSON.stringify(filter)).toBe(listed);
        }
        expect(await log.count({ jobId: 'no-such-job' })).toBe(0);
      });

      it('sums a job up: counts by status, lateness and duration percentiles, the last success', async () => {
        const since = T0;
        const ran = (
          i: number,
          late: number,
          durationMs: number | null,
          status: ExecutionStatus = 'success',
        ) =>
          row({
            jobId,
            status,
            scheduledFor: T0 + i * 60_000,
            startedAt: T0 + i * 60_000 + late,
            finishedAt: T0 + i * 60_000 + late + (durationMs ?? 0),
            durationMs,
          });
        const rows = [
          ran(0, 0, 100),
          ran(1, 10, 200),
          ran(2, 20, 300, 'failed'),
          ran(3, 30, 400),
          // A retry is late from its dueAt (the end of its backoff), not from the fire's time.
          row({
            jobId,
            status: 'timed_out',
            triggerKind: 'retry',
            attempt: 2,
            scheduledFor: T0 + 3 * 60_000,
            dueAt: T0 + 3 * 60_000 + 5_000,
            startedAt: T0 + 3 * 60_000 + 5_040,
            finishedAt: T0 + 3 * 60_000 + 6_000,
            durationMs: null,
          }),
          // Never started: counted, but without lateness or duration.
          row({ jobId, status: 'missed', scheduledFor: T0 + 4 * 60_000, startedAt: null, finishedAt: T0 }),
          // Before the window: not counted, and not the newest success.
          ran(-1, 999, 999),
        ];
        await log.insert(rows);
        const stats = await log.stats(jobId, since);
        expect(stats.counts).toEqual({ success: 3, failed: 1, timed_out: 1, missed: 1 });
        // Lateness 0, 10, 20, 30, 40: p50 20; p99 at 3.96 of the sorted values, 30 + 0.96 * 10.
        expect(stats.latenessP50Ms).toBeCloseTo(20, 6);
        expect(stats.latenessP99Ms).toBeCloseTo(39.6, 6);
        // Durations 100, 200, 300, 400: p50 250; p99 at 2.97, 300 + 0.97 * 100.
        expect(stats.durationP50Ms).toBeCloseTo(250, 6);
        expect(stats.durationP99Ms).toBeCloseTo(397, 6);
        expect(stats.lastSuccessAt).toBe(rows[3]!.finishedAt);
      });

      it('finds the last success before the window, and answers an empty history with nulls', async () => {
        await log.insert([
          row({ jobId, status: 'success', scheduledFor: T0 - 60_000, finishedAt: T0 - 59_000 }),
        ]);
        const later = await log.stats(jobId, T0);
        expect(later).toEqual({
          counts: {},
          latenessP50Ms: null,
          latenessP99Ms: null,
          durationP50Ms: null,
          durationP99Ms: null,
          lastSuccessAt: T0 - 59_000,
        });
        expect((await log.stats('no-such-job', T0)).lastSuccessAt).toBeNull();
      });
    });
  });
}
