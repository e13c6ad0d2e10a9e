/**
 * The JobStore contract (src/core/ports.ts), run once per adapter. Times are relative to the
 * store's own clock (`store.now()`), so the same tests run on a fake clock (memory) and on Redis
 * TIME with short real leases.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../src/core/errors.ts';
import type { Job } from '../../src/core/job.ts';
import type { JobStore } from '../../src/core/ports.ts';
import { changeCountContract } from './job-store-changes.contract.ts';

export interface JobStoreHarness {
  store: JobStore;
  /** A second replica on the same data (the memory adapter has one process: the same store). */
  other: JobStore;
  /** Let the store's clock reach `instant` (fake: advance it; real: poll store.now()). */
  reach(instant: number): Promise<void>;
  close(): Promise<void>;
}

// Long enough that a busy machine does not expire a lease between two steps of one test.
const LEASE = 600;
const HOUR = 3_600_000;

export function makeJob(id: string, overrides: Partial<Job> = {}): Job {
  return {
    id,
    name: `job ${id}`,
    task: 'log',
    args: { list: [], object: {}, nested: [{ a: [] }] },
    trigger: {
      kind: 'interval',
      weeks: 0,
      days: 0,
      hours: 0,
      minutes: 1,
      seconds: 0,
      milliseconds: 0,
      anchor: 0,
      startDate: null,
      endDate: null,
      jitterMs: 0,
    },
    paused: false,
    pausedAt: null,
    pauseReason: null,
    nextRunTime: null,
    dueAt: null,
    coalesce: 'latest',
    maxInstances: 1,
    misfireGraceTimeMs: 60_000,
    timeoutMs: null,
    retry: { attempts: 1, backoffMs: 1_000, factor: 2, maxBackoffMs: 300_000, jitter: true },
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    version: 1,
    ...overrides,
  };
}

/** A job whose fire is at `at` (nominal = due, no jitter). */
function dueJob(id: string, at: number, overrides: Partial<Job> = {}): Job {
  return makeJob(id, { nextRunTime: at, dueAt: at, ...overrides });
}

export function jobStoreContract(
  label: string,
  open: () => Promise<JobStoreHarness>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`JobStore contract: ${label}`, () => {
    let h: JobStoreHarness;
    let store: JobStore;
    let base: number;

    beforeEach(async () => {
      h = await open();
      store = h.store;
      base = await store.now();
    });
    afterEach(async () => {
      await h.close();
    });

    changeCountContract(() => h);

    const claimedIds = async (s: JobStore, limit = 100, lease = LEASE) =>
      (await s.claimDue(limit, lease)).claims.map((c) => c.job.id);

    describe('definitions', () => {
      it('add then get returns an equal copy that callers cannot mutate', async () => {
        const job = dueJob('a', base + HOUR, { dueAt: base + HOUR + 250, paused: true, version: 3 });
        await store.add(job);
        const expected = structuredClone(job);
        job.name = 'changed after add';
        const got = (await store.get('a')) as Job;
        expect(got).toEqual(expected);
        got.name = 'changed after get';
        (got.args as { list: number[] }).list.push(1);
        expect(await store.get('a')).toEqual(expected);
      });

      it('keeps empty arrays and empty objects apart', async () => {
        await store.add(makeJob('json', { args: { a: [], o: {}, deep: [[], {}, [{}]] } }));
        expect((await store.get('json'))?.args).toEqual({ a: [], o: {}, deep: [[], {}, [{}]] });
        expect(JSON.stringify((await store.get('json'))?.args)).toBe('{"a":[],"o":{},"deep":[[],{},[{}]]}');
      });

      it('rejects an existing id with ConflictError and leaves the stored job alone', async () => {
        await store.add(makeJob('a', { name: 'first' }));
        await expect(store.add(makeJob('a', { name: 'second' }))).rejects.toBeInstanceOf(ConflictError);
        expect((await store.get('a'))?.name).toBe('first');
      });

      it('get of an unknown id is null; count counts', async () => {
        expect(await store.get('nope')).toBeNull();
        expect(await store.count()).toBe(0);
        await store.add(makeJob('a'));
        await store.add(makeJob('b'));
        expect(await store.count()).toBe(2);
      });
    });

    describe('pause info', () => {
      const pausedJob = (id: string, overrides: Partial<Job> = {}) =>
        dueJob(id, base + HOUR, {
          paused: true,
          pausedAt: base - 5,
          pauseReason: 'maintenance',
          ...overrides,
        });

      it('round-trips through add, get, list, update and remove', async () => {
        const job = pausedJob('a');
        await store.add(job);
        await store.add(makeJob('b'));
        expect(await store.get('a')).toEqual(job);
        expect((await store.list({ first: 10 })).items).toEqual([job, makeJob('b')]);
        expect((await store.list({ first: 10, paused: true })).items).toEqual([job]);

        // Only the pause info changes: a page read again must not serve the old job.
        const moved = { ...job, pausedAt: base - 1, pauseReason: 'a new note', version: 2 };
        await store.update(moved, 1, 'keep');
        expect(await store.get('a')).toEqual(moved);
        expect((await store.list({ first: 1 })).items).toEqual([moved]);
        const noReason = { ...moved, pauseReason: null, version: 3 };
        await store.update(noReason, 2, 'keep');
        expect(await store.get('a')).toEqual(noReason);
        expect((await store.list({ first: 1 })).items).toEqual([noReason]);

        expect(await store.remove('a')).toEqual(noReason);
        await store.add(makeJob('a'));
        expect(await store.get('a')).toMatchObject({ paused: false, pausedAt: null, pauseReason: null });
      });

      it('a resume clears it, and the job is due again', async () => {
        await store.add(pausedJob('a', { nextRunTime: base - 1000, dueAt: base - 1000 }));
        expect((await store.list({ first: 1 })).items[0]).toMatchObject({ pauseReason: 'maintenance' });
        expect(await claimedIds(store)).toEqual([]);
        await store.update(
          dueJob('a', base - 1000, { paused: false, pausedAt: null, pauseReason: null, version: 2 }),
          1,
          'keep',
        );
        const expected = { paused: false, pausedAt: null, pauseReason: null, version: 2 };
        expect(await store.get('a')).toMatchObject(expected);
        expect((await store.list({ first: 1 })).items[0]).toMatchObject(expected);
        const [claim] = (await store.claimDue(10, LEASE)).claims;
        expect(claim?.job).toMatchObject({ id: 'a', ...expected });
      });
    });

    describe('list', () => {
      it('walks every page in id order', async () => {
        const ids = Array.from({ length: 23 }, (_, i) => `job-${String(i).padStart(2, '0')}`);
        for (const id of [...ids].reverse()) await store.add(makeJob(id));
        const seen: string[] = [];
        let after: string | null = null;
        let pages = 0;
        for (;;) {
          const page = await store.list({ first: 5, after });
          pages++;
          seen.push(...page.items.map((j) => j.id));
          expect(page.endCursor).toBe(page.items.at(-1)?.id ?? null);
          if (!page.hasNextPage) break;
          after = page.endCursor;
        }
        expect(pages).toBe(5);
        expect(seen).toEqual(ids);
        expect(await store.count()).toBe(23);
      });

      it('an exact last page says there is no next page', async () => {
        for (const id of ['a', 'b', 'c', 'd']) await store.add(makeJob(id));
        const first = await store.list({ first: 2 });
        expect(first).toMatchObject({ hasNextPage: true, endCursor: 'b' });
        const second = await store.list({ first: 2, after: first.endCursor });
        expect(second.items.map((j) => j.id)).toEqual(['c', 'd']);
        expect(second.hasNextPage).toBe(false);
        const empty = await store.list({ first: 2, after: 'd' });
        expect(empty).toEqual({ items: [], hasNextPage: false, endCursor: null });
      });

      it('filters by paused and task across pages', async () => {
        for (let i = 0; i < 30; i++) {
          await store.add(
            makeJob(`j${String(i).padStart(2, '0')}`, { task: i % 2 ? 'http' : 'log', paused: i % 3 === 0 }),
          );
        }
        const walk = async (filter: { paused?: boolean; task?: string }) => {
          const out: string[] = [];
          let after: string | null = null;
          for (;;) {
            const page = await store.list({ first: 2, after, ...filter });
            out.push(...page.items.map((j) => j.id));
            if (!page.hasNextPage) return out;
            after = page.endCursor;
          }
        };
        const expected = (keep: (i: number) => boolean) =>
          Array.from({ length: 30 }, (_, i) => i)
            .filter(keep)
            .map((i) => `j${String(i).padStart(2, '0')}`);
        expect(await walk({ task: 'http' })).toEqual(expected((i) => i % 2 === 1));
        expect(await walk({ paused: true })).toEqual(expected((i) => i % 3 === 0));
        expect(await walk({ paused: false, task: 'log' })).toEqual(
          expected((i) => i % 2 === 0 && i % 3 !== 0),
        );
        expect(await walk({ task: 'nothing' })).toEqual([]);
      });

      it('rejects a negative page size', async () => {
        await expect(store.list({ first: -1 })).rejects.toBeInstanceOf(ValidationError);
      });

      it('items are snapshots: changing one (or trying to) leaves the store alone', async () => {
        await store.add(makeJob('a'));
        const expected = structuredClone(await store.get('a'));
        const [item] = (await store.list({ first: 1 })).items as [Job];
        // A store may hand out frozen shared objects (the attempt throws) or copies (it changes the copy).
        const attempt = (change: () => void) => {
          try {
            change();
          } catch (error) {
            expect(error).toBeInstanceOf(TypeError);
          }
        };
        attempt(() => {
          item.name = 'changed after list';
        });
        attempt(() => (item.args as { list: number[] }).list.push(1));
        attempt(() => {
          (item.trigger as { jitterMs: number }).jitterMs = 5;
        });
        attempt(() => {
          item.retry.attempts = 9;
        });
        expect(await store.get('a')).toEqual(expected);
        expect((await store.list({ first: 1 })).items).toEqual([expected]);
      });

      it('a page already read does not change when the job does', async () => {
        await store.add(dueJob('a', base - 1, { name: 'before' }));
        const [item] = (await store.list({ first: 1 })).items as [Job];
        const seen = structuredClone(item);
        const [claim] = (await store.claimDue(1, LEASE)).claims;
        expect(claim?.job.id).toBe('a');
        const next = base + HOUR;
        expect(
          await store.commit([
            { jobId: 'a', token: claim!.token, claimedNextRunTime: base - 1, nextRunTime: next, dueAt: next },
          ]),
        ).toEqual(['committed']);
        const stored = (await store.get('a')) as Job;
        await store.update({ ...stored, name: 'after', version: stored.version + 1 }, stored.version, 'keep');
        expect(item).toEqual(seen);
        expect(await store.get('a')).toMatchObject({ name: 'after', nextRunTime: next });
      });
    });

    describe('update', () => {
      it('is a compare-and-set on the version', async () => {
        await store.add(makeJob('a', { version: 1 }));
        await expect(store.update(makeJob('a', { version: 3 }), 2, 'keep')).rejects.toBeInstanceOf(
          ConflictError,
        );
        await expect(store.update(makeJob('zzz', { version: 2 }), 1, 'keep')).rejects.toBeInstanceOf(
          NotFoundError,
        );
        await store.update(makeJob('a', { version: 2, name: 'renamed' }), 1, 'keep');
        expect(await store.get('a')).toMatchObject({ version: 2, name: 'renamed' });
        await expect(store.update(makeJob('a', { version: 3 }), 1, 'keep')).rejects.toBeInstanceOf(
          ConflictError,
        );
      });

      it("'keep' leaves the schedule alone, 'replace' writes it", async () => {
        await store.add(dueJob('a', base + HOUR));
        await store.update(dueJob('a', base + 5 * HOUR, { version: 2, name: 'kept' }), 1, 'keep');
        expect(await store.get('a')).toMatchObject({
          name: 'kept',
          nextRunTime: base + HOUR,
          dueAt: base + HOUR,
        });
        expect(await store.nextWakeAt()).toBe(base + HOUR);

        await store.update(
          makeJob('a', { version: 3, nextRunTime: base - 10, dueAt: base - 5 }),
          2,
          'replace',
        );
        expect(await store.get('a')).toMatchObject({ nextRunTime: base - 10, dueAt: base - 5 });
        expect(await store.nextWakeAt()).toBe(base - 5);
        expect(await claimedIds(store)).toEqual(['a']);
      });

      it('pausing takes a job out of due and resuming puts it back', async () => {
        await store.add(dueJob('a', base - 1000));
        await store.update(dueJob('a', base - 1000, { version: 2, paused: true }), 1, 'keep');
        expect(await store.nextWakeAt()).toBeNull();
        expect(await claimedIds(store)).toEqual([]);
        await store.update(dueJob('a', 0, { version: 3, paused: false }), 2, 'keep');
        expect(await store.nextWakeAt()).toBe(base - 1000);
        const batch = await store.claimDue(10, LEASE);
        expect(batch.claims.map((c) => c.job)).toMatchObject([
          { id: 'a', nextRunTime: base - 1000, version: 3 },
        ]);
      });

      it('replace with a finished schedule leaves nothing due', async () => {
        await store.add(dueJob('a', base - 1000));
        await store.update(makeJob('a', { version: 2 }), 1, 'replace');
        expect(await store.get('a')).toMatchObject({ nextRunTime: null, dueAt: null });
        expect(await store.nextWakeAt()).toBeNull();
        expect(await claimedIds(store)).toEqual([]);
      });
    });

    describe('claimDue', () => {
      it('returns only due jobs, earliest first, up to the limit', async () => {
        await store.add(dueJob('a', base - 100));
        await store.add(dueJob('b', base - 300));
        await store.add(dueJob('c', base - 200, { nextRunTime: base - 250 }));
        await store.add(dueJob('later', base + HOUR));
        await store.add(dueJob('paused', base - 500, { paused: true }));
        await store.add(makeJob('finished'));
        const first = await store.claimDue(2, LEASE);
        expect(first.now).toBeGreaterThanOrEqual(base);
        expect(first.claims.map((c) => c.job.id)).toEqual(['b', 'c']);
        expect(first.claims[1]?.job).toMatchObject({ nextRunTime: base - 250, dueAt: base - 200 });
        expect(new Set(first.claims.map((c) => c.token)).size).toBe(2);
        expect(await claimedIds(store)).toEqual(['a']);
        expect(await claimedIds(store)).toEqual([]);
        expect((await store.claimDue(0, LEASE)).claims).toEqual([]);
      });

      it('with a lookahead also takes jobs due within it, and no later ones', async () => {
        await store.add(dueJob('now', base - 10));
        await store.add(dueJob('soon', base + 30 * 60_000));
        await store.add(dueJob('later', base + 2 * HOUR));
        const batch = await store.claimDue(10, LEASE, HOUR);
        expect(batch.claims.map((c) => c.job.id)).toEqual(['now', 'soon']);
        expect(await claimedIds(store)).toEqual([]);
      });

      it('says how many jobs are still due by its horizon after it (a herd it left to peers)', async () => {
        for (let i = 0; i < 7; i++) await store.add(dueJob(`h${i}`, base - 100 + i));
        await store.add(dueJob('soon', base + 30 * 60_000));
        await store.add(dueJob('later', base + 2 * HOUR));
        await store.add(dueJob('paused', base - 500, { paused: true }));
        const first = await store.claimDue(3, LEASE);
        expect(first.claims).toHaveLength(3);
        expect(first.remaining).toBe(4);
        expect((await store.claimDue(3, LEASE, HOUR)).remaining).toBe(2); // 'soon' is within the hour
        expect((await store.claimDue(10, LEASE, HOUR)).remaining).toBe(0);
        expect((await store.claimDue(10, LEASE)).remaining).toBe(0);
      });

      it('returns copies that carry the stored definition', async () => {
        const job = dueJob('a', base - 1, { version: 7, args: { list: [], object: {} } });
        await store.add(job);
        const [claim] = (await store.claimDue(1, LEASE)).claims;
        expect(claim?.job).toEqual(job);
        (claim!.job.args as { list: number[] }).list.push(1);
        expect(await store.get('a')).toEqual(job);
      });

      it('never hands the same fire to two claimers', async () => {
        const ids = Array.from({ length: 40 }, (_, i) => `c${String(i).padStart(2, '0')}`);
        for (const [i, id] of ids.entries()) await store.add(dueJob(id, base - 1000 + i));
        const rounds = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? h.other : store).claimDue(3, 60_000)),
        );
        const all = rounds.flatMap((r) => r.claims.map((c) => c.job.id));
        expect(all).toHaveLength(40);
        expect(new Set(all)).toEqual(new Set(ids));
        const tokens = rounds.flatMap((r) => r.claims.map((c) => c.token));
        expect(new Set(tokens).size).toBe(40);
      });
    });

    describe('commit', () => {
      it('committed: the schedule moves on and the job is due again at the new time', async () => {
        await store.add(dueJob('a', base - 1000));
        const [claim] = (await store.claimDue(10, LEASE)).claims;
        expect(await store.nextWakeAt()).toBeGreaterThan(base); // only the claim's lease
        const outcomes = await store.commit([
          {
            jobId: 'a',
            token: claim!.token,
            claimedNextRunTime: base - 1000,
            nextRunTime: base - 500,
            dueAt: base - 400,
          },
        ]);
        expect(outcomes).toEqual(['committed']);
        expect(await store.get('a')).toMatchObject({ nextRunTime: base - 500, dueAt: base - 400 });
        expect(await store.nextWakeAt()).toBe(base - 400);
        expect(await claimedIds(store)).toEqual(['a']);
      });

      it('committed with no next run leaves the job finished', async () => {
        await store.add(dueJob('a', base - 1000));
        const [claim] = (await store.claimDue(10, LEASE)).claims;
        const outcomes = await store.commit([
          {
            jobId: 'a',
            token: claim!.token,
            claimedNextRunTime: base - 1000,
            nextRunTime: null,
            dueAt: null,
          },
        ]);
        expect(outcomes).toEqual(['committed']);
        expect(await store.get('a')).toMatchObject({ nextRunTime: null, dueAt: null });
        expect(await store.nextWakeAt()).toBeNull();
      });

      it('a batch gets one outcome per request, in order', async () => {
        for (const id of ['a', 'b', 'c', 'd']) await store.add(dueJob(id, base - 1000));
        const claims = (await store.claimDue(10, LEASE)).claims;
        const token = (id: string) => claims.find((c) => c.job.id === id)!.token;
        await store.update(dueJob('b', base + HOUR, { version: 2 }), 1, 'replace');
        await store.remove('c');
        const next = {
          claimedNextRunTime: base - 1000,
          nextRunTime: base + 2 * HOUR,
          dueAt: base + 2 * HOUR,
        };
        const outcomes = await store.commit([
          { jobId: 'a', token: token('a'), ...next },
          { jobId: 'b', token: token('b'), ...next },
          { jobId: 'c', token: token('c'), ...next },
          { jobId: 'd', token: 'no-such-token', ...next },
          { jobId: 'a', token: token('a'), ...next },
          { jobId: 'a', token: token('d'), ...next },
        ]);
        expect(outcomes).toEqual(['committed', 'superseded', 'removed', 'stale', 'stale', 'stale']);
        // The reschedule won over the superseded commit.
        expect(await store.get('b')).toMatchObject({ nextRunTime: base + HOUR });
        expect(await store.commit([])).toEqual([]);
      });

      it("a 'keep' update while claimed does not supersede the claim", async () => {
        await store.add(dueJob('a', base - 1000));
        const [claim] = (await store.claimDue(10, LEASE)).claims;
        await store.update(dueJob('a', 0, { version: 2, name: 'renamed' }), 1, 'keep');
        const outcomes = await store.commit([
          {
            jobId: 'a',
            token: claim!.token,
            claimedNextRunTime: base - 1000,
            nextRunTime: base + HOUR,
            dueAt: base + HOUR,
          },
        ]);
        expect(outcomes).toEqual(['committed']);
        expect(await store.get('a')).toMatchObject({ name: 'renamed', version: 2, nextRunTime: base + HOUR });
      });

      it('a replace that writes the same schedule while claimed leaves the claim in charge', async () => {
        await store.add(dueJob('a', base - 1000));
        const [claim] = (await store.claimDue(10, LEASE)).claims;
        await store.update(dueJob('a', base - 1000, { version: 2, name: 'same time' }), 1, 'replace');
        expect(await claimedIds(store)).toEqual([]);
        const outcomes = await store.commit([
          {
            jobId: 'a',
            token: claim!.token,
            claimedNextRunTime: base - 1000,
            nextRunTime: base + HOUR,
            dueAt: base + HOUR,
          },
        ]);
        expect(outcomes).toEqual(['committed']);
        expect(await store.get('a')).toMatchObject({ name: 'same time', nextRunTime: base + HOUR });
      });

      it('pause and resume while claimed do not hand the fire out twice', async () => {
        await store.add(dueJob('a', base - 1000));
        const [claim] = (await store.claimDue(10, LEASE)).claims;
        await store.update(dueJob('a', 0, { version: 2, paused: true }), 1, 'keep');
        await store.update(dueJob('a', 0, { version: 3, paused: false }), 2, 'keep');
        expect(await claimedIds(store)).toEqual([]);
        const outcomes = await store.commit([
          {
            jobId: 'a',
            token: claim!.token,
            claimedNextRunTime: base - 1000,
            nextRunTime: base - 10,
            dueAt: base - 10,
          },
        ]);
        expect(outcomes).toEqual(['committed']);
        expect(await claimedIds(store)).toEqual(['a']);
      });

      it('a commit while paused moves the schedule but leaves the job out of due until resumed', async () => {
        await store.add(dueJob('a', base - 1000));
        const [claim] = (await store.claimDue(10, LEASE)).claims;
        await store.update(dueJob('a', 0, { version: 2, paused: true }), 1, 'keep');
        await store.commit([
          {
            jobId: 'a',
            token: claim!.token,
            claimedNextRunTime: base - 1000,
            nextRunTime: base - 10,
            dueAt: base - 10,
          },
        ]);
        expect(await store.nextWakeAt()).toBeNull();
        expect(await claimedIds(store)).toEqual([]);
        await store.update(dueJob('a', 0, { version: 3 }), 2, 'keep');
        const [again] = (await store.claimDue(10, LEASE)).claims;
        expect(again?.job).toMatchObject({ id: 'a', nextRunTime: base - 10 });
      });
    });

    describe('quarantine', () => {
      const reason = 'its trigger could not be planned: boom';

      it('pauses the job with its reason, bumps the version and ends the claim', async () => {
        await store.add(dueJob('a', base - 1000));
        await store.add(dueJob('b', base - 1000));
        const batch = await store.claimDue(10, LEASE);
        expect(batch.poisoned).toEqual([]);
        const token = (id: string) => batch.claims.find((c) => c.job.id === id)!.token;
        const at = batch.now;
        await store.quarantine([{ jobId: 'a', token: token('a'), reason, at }]);
        const expected = {
          paused: true,
          pausedAt: at,
          pauseReason: reason,
          version: 2,
          nextRunTime: base - 1000,
        };
        expect(await store.get('a')).toMatchObject(expected);
        expect((await store.list({ first: 1 })).items[0]).toMatchObject(expected);
        // Its claim is over: a commit of it is stale, and its lease is no longer a wake-up.
        expect(
          await store.commit([
            {
              jobId: 'a',
              token: token('a'),
              claimedNextRunTime: base - 1000,
              nextRunTime: base,
              dueAt: base,
            },
          ]),
        ).toEqual(['stale']);
        expect(await store.get('a')).toMatchObject(expected);
        // Not claimable afterwards, not even once the other claim's lease expired.
        await h.reach(batch.now + LEASE);
        expect(await claimedIds(h.other)).toEqual(['b']);
        expect(await claimedIds(store)).toEqual([]);
        // A resume clears it and the fire is owed again.
        await store.update(
          dueJob('a', base - 1000, { paused: false, pausedAt: null, pauseReason: null, version: 3 }),
          2,
          'keep',
        );
        const [again] = (await store.claimDue(10, LEASE)).claims;
        expect(again?.job).toMatchObject({ id: 'a', paused: false, pausedAt: null, pauseReason: null });
      });

      it('a token that is not the current claim changes nothing', async () => {
        await store.add(dueJob('wrong', base - 1000));
        await store.add(dueJob('moved', base - 1000));
        await store.add(dueJob('expired', base - 1000));
        const first = await store.claimDue(10, LEASE);
        const token = (id: string) => first.claims.find((c) => c.job.id === id)!.token;
        // Rescheduled meanwhile: the claim no longer holds the job's fire.
        await store.update(dueJob('moved', base + HOUR, { version: 2 }), 1, 'replace');
        // Expired and taken back under a new token.
        await h.reach(first.now + LEASE);
        const retaken = (await h.other.claimDue(10, LEASE)).claims;
        expect(retaken.map((c) => c.job.id)).toEqual(['expired', 'wrong']);
        const at = first.now;
        await store.quarantine([
          { jobId: 'wrong', token: 'no-such-token', reason, at },
          { jobId: 'wrong', token: token('expired'), reason, at },
          { jobId: 'moved', token: token('moved'), reason, at },
          { jobId: 'expired', token: token('expired'), reason, at },
        ]);
        for (const id of ['wrong', 'expired']) {
          expect(await store.get(id)).toMatchObject({
            paused: false,
            pausedAt: null,
            pauseReason: null,
            version: 1,
          });
        }
        expect(await store.get('moved')).toMatchObject({
          paused: false,
          version: 2,
          nextRunTime: base + HOUR,
        });
        const next = { claimedNextRunTime: base - 1000, nextRunTime: base + HOUR, dueAt: base + HOUR };
        expect(
          await h.other.commit(retaken.map((c) => ({ jobId: c.job.id, token: c.token, ...next }))),
        ).toEqual(['committed', 'committed']);
        await store.quarantine([]);
      });

      it('a removed job stays removed', async () => {
        await store.add(dueJob('a', base - 1000));
        const batch = await store.claimDue(10, LEASE);
        await store.remove('a');
        await store.quarantine([{ jobId: 'a', token: batch.claims[0]!.token, reason, at: batch.now }]);
        expect(await store.get('a')).toBeNull();
        expect(await store.count()).toBe(0);
        await store.add(dueJob('a', base - 1000));
        expect(await store.get('a')).toMatchObject({ paused: false, pausedAt: null, pauseReason: null });
        expect(await claimedIds(store)).toEqual(['a']);
      });
    });

    describe('leases', () => {
      it('an expired claim is taken back with a new token; the old token is stale', async () => {
        await store.add(dueJob('a', base - 1000));
        const first = await store.claimDue(10, LEASE);
        const old = first.claims[0]!;
        expect(await store.nextWakeAt()).toBe(first.now + LEASE);
        expect(await claimedIds(h.other)).toEqual([]); // still leased
        await h.reach(first.now + LEASE);
        const second = await h.other.claimDue(10, LEASE);
        expect(second.claims).toHaveLength(1);
        const taken = second.claims[0]!;
        expect(taken.token).not.toBe(old.token);
        expect(taken.job).toMatchObject({ id: 'a', nextRunTime: base - 1000 });
        const request = {
          jobId: 'a',
          claimedNextRunTime: base - 1000,
          nextRunTime: base + HOUR,
          dueAt: base + HOUR,
        };
        expect(await store.commit([{ ...request, token: old.token }])).toEqual(['stale']);
        expect(await h.other.commit([{ ...request, token: taken.token }])).toEqual(['committed']);
        expect(await store.nextWakeAt()).toBe(base + HOUR);
      });

      it('taken-back claims come before newly due jobs and count toward the limit', async () => {
        await store.add(dueJob('old', base - 1000));
        const first = await store.claimDue(10, LEASE);
        await h.reach(first.now + LEASE);
        await store.add(dueJob('new', base - 5000));
        expect(await claimedIds(store, 1)).toEqual(['old']);
        expect(await claimedIds(store, 1)).toEqual(['new']);
      });

      it('an expired claim of a job paused meanwhile is dropped; resuming makes the fire due again', async () => {
        await store.add(dueJob('a', base - 1000));
        const first = await store.claimDue(10, LEASE);
        await store.update(dueJob('a', 0, { version: 2, paused: true }), 1, 'keep');
        await h.reach(first.now + LEASE);
        expect(await claimedIds(store)).toEqual([]);
        expect(await store.nextWakeAt()).toBeNull();
        await store.update(dueJob('a', 0, { version: 3 }), 2, 'keep');
        const [claim] = (await store.claimDue(10, LEASE)).claims;
        expect(claim?.job).toMatchObject({ id: 'a', nextRunTime: base - 1000 });
      });

      it('an expired claim of a rescheduled or removed job is dropped', async () => {
        await store.add(dueJob('moved', base - 1000));
        await store.add(dueJob('gone', base - 1000));
        const first = await store.claimDue(10, LEASE);
        await store.update(dueJob('moved', base + HOUR, { version: 2 }), 1, 'replace');
        await store.remove('gone');
        await h.reach(first.now + LEASE);
        expect(await claimedIds(store)).toEqual([]);
        expect(await store.nextWakeAt()).toBe(base + HOUR);
      });
    });

    describe('nextWakeAt', () => {
      it('is the earliest dueAt of an unpaused job, or null', async () => {
        expect(await store.nextWakeAt()).toBeNull();
        await store.add(dueJob('paused', base + 10, { paused: true }));
        await store.add(makeJob('finished'));
        expect(await store.nextWakeAt()).toBeNull();
        await store.add(dueJob('b', base + 2 * HOUR));
        await store.add(dueJob('a', base + HOUR, { dueAt: base + HOUR + 7 }));
        expect(await store.nextWakeAt()).toBe(base + HOUR + 7);
      });
    });

    describe('slots', () => {
      const slot = (executionId: string, jobId = 'a') => ({ jobId, executionId });

      it('honors maxInstances across replicas and frees a slot on release', async () => {
        expect(await store.acquireSlot(slot('e1'), 2, 60_000)).toBe(true);
        expect(await h.other.acquireSlot(slot('e2'), 2, 60_000)).toBe(true);
        expect(await store.acquireSlot(slot('e3'), 2, 60_000)).toBe(false);
        expect(await h.other.acquireSlot(slot('e3'), 2, 60_000)).toBe(false);
        expect(await store.acquireSlot(slot('x1', 'other-job'), 1, 60_000)).toBe(true);
        await h.other.releaseSlots([slot('e1')]);
        expect(await store.acquireSlot(slot('e3'), 2, 60_000)).toBe(true);
        expect(await store.acquireSlot(slot('e4'), 2, 60_000)).toBe(false);
      });

      it('acquires many slots in one call, deciding them in order', async () => {
        expect(await store.acquireSlot(slot('e0', 'b'), 1, 60_000)).toBe(true);
        const results = await store.acquireSlots(
          [
            { slot: slot('e1'), maxInstances: 2 },
            { slot: slot('e2'), maxInstances: 2 },
            { slot: slot('e3'), maxInstances: 2 },
            { slot: slot('e4', 'b'), maxInstances: 1 },
            { slot: slot('e5', 'c'), maxInstances: 1 },
          ],
          60_000,
        );
        expect(results).toEqual([true, true, false, false, true]);
        expect(await h.other.acquireSlots([], 60_000)).toEqual([]);
        await store.releaseSlots([slot('e1')]);
        expect(await h.other.acquireSlots([{ slot: slot('e3'), maxInstances: 2 }], 60_000)).toEqual([true]);
      });

      it('concurrent acquisitions never exceed maxInstances', async () => {
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            (i % 2 ? h.other : store).acquireSlot(slot(`e${i}`), 3, 60_000),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(3);
      });

      it('expired slots do not count and are reaped once', async () => {
        expect(await store.acquireSlot(slot('e1'), 1, LEASE)).toBe(true);
        // Measured after the acquisition: on a busy machine the two can be milliseconds apart.
        const start = await store.now();
        expect(await store.acquireSlot(slot('f1', 'b'), 1, 60_000)).toBe(true);
        expect(await store.reapExpiredSlots(10)).toEqual([]);
        await h.reach(start + LEASE + 1);
        expect(await h.other.acquireSlot(slot('e2'), 1, 60_000)).toBe(true);
        expect(await store.reapExpiredSlots(10)).toEqual([slot('e1')]);
        expect(await h.other.reapExpiredSlots(10)).toEqual([]);
        expect(await store.acquireSlot(slot('e3'), 1, 60_000)).toBe(false);
      });

      it('reaps at most `limit` slots per call', async () => {
        for (const id of ['e1', 'e2', 'e3']) expect(await store.acquireSlot(slot(id), 5, LEASE)).toBe(true);
        // Measured after the last acquisition: on a busy machine they can be milliseconds apart.
        await h.reach((await store.now()) + LEASE + 1);
        const first = await store.reapExpiredSlots(2);
        const second = await store.reapExpiredSlots(2);
        expect(first).toHaveLength(2);
        expect(second).toHaveLength(1);
        expect([...first, ...second].map((s) => s.executionId).sort()).toEqual(['e1', 'e2', 'e3']);
      });

      it('heldSlots: held under an unexpired lease, not once released or expired', async () => {
        expect(await store.heldSlots([])).toEqual([]);
        expect(await store.acquireSlot(slot('held'), 5, 60_000)).toBe(true);
        expect(await store.acquireSlot(slot('released'), 5, 60_000)).toBe(true);
        expect(await store.acquireSlot(slot('expires'), 5, LEASE)).toBe(true);
        const start = await store.now();
        await store.releaseSlots([slot('released')]);
        const asked = [slot('held'), slot('released'), slot('expires'), slot('never'), slot('held', 'b')];
        expect(await store.heldSlots(asked)).toEqual([true, false, true, false, false]);
        expect(await h.other.heldSlots(asked)).toEqual([true, false, true, false, false]);
        await h.reach(start + LEASE + 1);
        expect(await store.heldSlots(asked)).toEqual([true, false, false, false, false]);
      });

      it('heldSlots: a slot stays held when its job is removed', async () => {
        await store.add(makeJob('a'));
        expect(await store.acquireSlot(slot('e1'), 1, 60_000)).toBe(true);
        await store.remove('a');
        expect(await store.heldSlots([slot('e1')])).toEqual([true]);
      });

      it('renewSlots extends the lease of a held slot', async () => {
        const start = await store.now();
        expect(await store.acquireSlot(slot('e1'), 1, LEASE)).toBe(true);
        await store.renewSlots([slot('e1'), slot('never-acquired')], 60_000);
        await h.reach(start + LEASE + 1);
        expect(await store.acquireSlot(slot('e2'), 1, 60_000)).toBe(false);
        expect(await store.reapExpiredSlots(10)).toEqual([]);
        await store.releaseSlots([slot('e1')]);
        expect(await store.acquireSlot(slot('e2'), 1, 60_000)).toBe(true);
      });
    });

    describe('replica lives', () => {
      const life = (id: string) => ({ id, instance: id.split('/')[0] as string, startedAt: 1 });
      const slot = (executionId: string, jobId = 'a') => ({ jobId, executionId });

      it('a registered life is live until its heartbeat runs out, and is not revived once reaped', async () => {
        expect(await store.heartbeat(life('a/1'), LEASE, true)).toBe(true);
        const start = await store.now();
        expect(await h.other.heartbeat(life('b/1'), 60_000, true)).toBe(true);
        expect((await store.replicas()).map((r) => r.id).sort()).toEqual(['a/1', 'b/1']);
        expect(await store.heartbeat(life('a/1'), LEASE, false)).toBe(true);
        await h.reach((await store.now()) + LEASE + 1);
        expect((await h.other.replicas()).map((r) => r.id)).toEqual(['b/1']);
        // Ran out, not reaped: nothing was taken over, so it may come back.
        expect(await store.heartbeat(life('a/1'), LEASE, false)).toBe(true);
        expect((await h.other.replicas()).map((r) => r.id).sort()).toEqual(['a/1', 'b/1']);
        await h.reach((await store.now()) + LEASE + 1);
        expect((await h.other.reapDeadReplicas(10)).map((r) => r.id)).toEqual(['a/1']);
        expect(await store.heartbeat(life('a/1'), LEASE, false)).toBe(false);
        expect(await store.heartbeat(life('never/1'), LEASE, false)).toBe(false);
        expect(start).toBeGreaterThan(0);
      });

      it('reaping a dead life releases its claims at once and returns its slots, exactly once', async () => {
        await store.add(dueJob('held', base));
        await store.add(dueJob('free', base + 1));
        expect(await store.heartbeat(life('a/1'), LEASE, true)).toBe(true);
        expect(await h.other.heartbeat(life('b/1'), 60_000, true)).toBe(true);
        const claimed = await store.claimDue(1, HOUR, 0, 'a/1');
        expect(claimed.claims.map((c) => c.job.id)).toEqual(['held']);
        expect(
          await store.acquireSlots([{ slot: slot('e1', 'held'), maxInstances: 1 }], HOUR, 'a/1'),
        ).toEqual([true]);
        expect(
          await h.other.acquireSlots([{ slot: slot('e2', 'free'), maxInstances: 1 }], HOUR, 'b/1'),
        ).toEqual([true]);
        expect(await h.other.reapDeadReplicas(10)).toEqual([]);
        await h.reach((await store.now()) + LEASE + 1);
        const [dead, ...more] = await h.other.reapDeadReplicas(10);
        expect(more).toEqual([]);
        expect(dead).toMatchObject({ id: 'a/1', instance: 'a', claims: 1, slots: [slot('e1', 'held')] });
        expect(await store.reapDeadReplicas(10)).toEqual([]);
        // The claim's hour-long lease no longer holds the fire; the slot is free; b's slot is kept.
        const retaken = await h.other.claimDue(10, HOUR, 0, 'b/1');
        expect(retaken.claims.map((c) => c.job.id).sort()).toEqual(['free', 'held']);
        expect(await store.heldSlots([slot('e1', 'held'), slot('e2', 'free')])).toEqual([false, true]);
        expect(
          await h.other.acquireSlots([{ slot: slot('e3', 'held'), maxInstances: 1 }], HOUR, 'b/1'),
        ).toEqual([true]);
      });

      it('a life declared dead is fenced: its claims, commits and slot requests are refused', async () => {
        await store.add(dueJob('a', base));
        expect(await store.heartbeat(life('a/1'), LEASE, true)).toBe(true);
        const [claim] = (await store.claimDue(1, HOUR, 0, 'a/1')).claims;
        await h.reach((await store.now()) + LEASE + 1);
        const request = {
          jobId: 'a',
          token: claim?.token as string,
          claimedNextRunTime: base,
          nextRunTime: base + HOUR,
          dueAt: base + HOUR,
        };
        expect(await store.commit([request], 'a/1')).toEqual(['stale']);
        await expect(store.claimDue(1, HOUR, 0, 'a/1')).rejects.toMatchObject({
          name: 'ReplicaExpiredError',
        });
        await expect(
          store.acquireSlots([{ slot: slot('e1'), maxInstances: 1 }], HOUR, 'a/1'),
        ).rejects.toMatchObject({ name: 'ReplicaExpiredError' });
        expect(await store.heldSlots([slot('e1')])).toEqual([false]);
        // Nothing changed: the fire is still owed, and another replica takes it once the life is reaped.
        expect((await store.get('a'))?.nextRunTime).toBe(base);
        await h.other.heartbeat(life('b/1'), 60_000, true);
        await h.other.reapDeadReplicas(10);
        expect((await h.other.claimDue(1, HOUR, 0, 'b/1')).claims.map((c) => c.job.id)).toEqual(['a']);
      });

      it('leave ends a life at once; committed claims and released slots are not reported', async () => {
        await store.add(dueJob('a', base));
        expect(await store.heartbeat(life('a/1'), LEASE, true)).toBe(true);
        const [claim] = (await store.claimDue(1, HOUR, 0, 'a/1')).claims;
        const commit = {
          jobId: 'a',
          token: claim?.token as string,
          claimedNextRunTime: base,
          nextRunTime: null,
          dueAt: null,
        };
        expect(await store.commit([commit], 'a/1')).toEqual(['committed']);
        expect(await store.acquireSlots([{ slot: slot('e1'), maxInstances: 1 }], HOUR, 'a/1')).toEqual([
          true,
        ]);
        await store.releaseSlots([slot('e1')]);
        await store.leave('a/1');
        expect(await store.replicas()).toEqual([]);
        expect(await store.heartbeat(life('a/1'), LEASE, false)).toBe(false);
        expect(await store.reapDeadReplicas(10)).toEqual([]);
      });
    });

    describe('remove', () => {
      it('returns the job and leaves no trace of it', async () => {
        const job = dueJob('a', base - 1000, { version: 4 });
        await store.add(job);
        await store.add(dueJob('b', base + HOUR));
        expect(await store.remove('a')).toEqual(job);
        expect(await store.get('a')).toBeNull();
        expect(await store.count()).toBe(1);
        expect((await store.list({ first: 10 })).items.map((j) => j.id)).toEqual(['b']);
        expect(await store.nextWakeAt()).toBe(base + HOUR);
        expect(await claimedIds(store)).toEqual([]);
        expect(await store.remove('a')).toBeNull();
        await store.add(makeJob('a', { name: 'again' }));
        expect((await store.get('a'))?.name).toBe('again');
      });

      it('removals made at once are each their own; one job asked twice is removed once', async () => {
        const jobs = ['a', 'b', 'c'].map((id, i) => dueJob(id, base + HOUR, { version: i + 1 }));
        for (const job of jobs) await store.add(job);
        await store.add(makeJob('p', { paused: true, pausedAt: base, pauseReason: 'why' }));
        const removed = await Promise.all(['a', 'gone', 'b', 'a', 'p', 'c'].map((id) => store.remove(id)));
        expect(removed).toEqual([
          jobs[0],
          null,
          jobs[1],
          null,
          makeJob('p', { paused: true, pausedAt: base, pauseReason: 'why' }),
          jobs[2],
        ]);
        expect(await store.count()).toBe(0);
        expect(await store.nextWakeAt()).toBeNull();
        await store.add(makeJob('p'));
        expect(await store.get('p')).toEqual(makeJob('p'));
      });

      it('a job re-added under the same id is not touched by the old claim', async () => {
        await store.add(dueJob('a', base - 1000));
        const [claim] = (await store.claimDue(10, LEASE)).claims;
        await store.remove('a');
        await store.add(dueJob('a', base + HOUR));
        const outcomes = await store.commit([
          {
            jobId: 'a',
            token: claim!.token,
            claimedNextRunTime: base - 1000,
            nextRunTime: base - 1,
            dueAt: base - 1,
          },
        ]);
        expect(outcomes).toEqual(['superseded']);
        expect(await store.get('a')).toMatchObject({ nextRunTime: base + HOUR });
      });
    });

    it('now() is the store clock that claimDue reports', async () => {
      const before = await store.now();
      const batch = await store.claimDue(1, LEASE);
      const after = await store.now();
      expect(batch.now).toBeGreaterThanOrEqual(before);
      expect(after).toBeGreaterThanOrEqual(batch.now);
    });
  });
}
