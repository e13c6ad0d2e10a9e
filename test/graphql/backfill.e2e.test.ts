/**
 * backfillJob end to end over GraphQL, on memory + PGlite and on Redis + PostgreSQL (the fire key
 * and the trigger-kind check are the real ones), over a window in the future (no scheduled fire of the job runs meanwhile): a small
 * backfill, a dry run that marks its fires as recorded, then 1,000 fires at 200 a second with
 * rerun, which take about 5 s and are each recorded once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Execution } from '../../src/core/execution.ts';
import type { ExecutionLog } from '../../src/core/ports.ts';
import { BACKENDS } from './backends.ts';
import { type TestApp, TOKENS } from './harness.ts';

const FROM = Date.parse('2099-01-01T00:00:00Z');
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

async function allRows(log: ExecutionLog, jobId: string): Promise<Execution[]> {
  const rows: Execution[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await log.list({ jobId, first: 500, after });
    rows.push(...page.items);
    if (!page.hasNextPage) return rows;
    after = page.endCursor;
  }
}

const BACKFILL = `mutation ($id: ID!, $from: DateTime!, $to: DateTime!, $dryRun: Boolean, $rerun: Boolean, $rate: Int) {
  backfillJob(id: $id, from: $from, to: $to, dryRun: $dryRun, rerun: $rerun, maxPerSecond: $rate) {
    dryRun scheduledCount fires { scheduledFor attempt dueAt recorded scheduled }
  }
}`;

interface BackfillData {
  backfillJob: {
    dryRun: boolean;
    scheduledCount: number;
    fires: {
      scheduledFor: string;
      attempt: number;
      dueAt: string | null;
      recorded: boolean;
      scheduled: boolean;
    }[];
  };
}

describe.each(BACKENDS)('backfillJob: $name', (backend) => {
  const runs: { scheduledFor: number; attempt: number }[] = [];
  let app: TestApp;
  let pg: ExecutionLog;
  let close: () => Promise<void>;
  beforeAll(async () => {
    if (backend.skip) return;
    ({ app, close } = await backend.open({
      handler: (_args, ctx) => {
        runs.push({ scheduledFor: ctx.scheduledFor, attempt: ctx.attempt });
        return { ok: true };
      },
    }));
    pg = app.executionLog;
  }, 60_000);
  afterAll(async () => {
    await close?.();
  });

  it.skipIf(backend.skip)(
    'runs a window at the rate asked, each fire recorded once, after a dry run that marks the recorded ones',
    async () => {
      // A window in the future, where the trigger starts: no scheduled fire runs during the test.
      const last = FROM + 999 * MINUTE;
      const trigger = `{ cron: { expression: "* * * * *", startDate: "${iso(FROM)}" } }`;
      await app.data(`mutation { addJob(input: { id: "bf", task: "test", trigger: ${trigger} }) { id } }`);
      const vars = (to: number, extra: Record<string, unknown>) => ({
        id: 'bf',
        from: iso(FROM),
        to: iso(to),
        ...extra,
      });
      const succeeded = () =>
        app.busEvents.filter((e) => e.stream === 'execution' && e.type === 'succeeded').length;
      const done = async (count: number) => {
        while (succeeded() < count) await new Promise((resolve) => setTimeout(resolve, 5));
      };

      // Five fires first, so the dry run has something recorded to mark.
      const first = await app.data<BackfillData>(
        BACKFILL,
        vars(FROM + 4 * MINUTE, { rate: 1000 }),
        TOKENS.operate,
      );
      expect(first.backfillJob.scheduledCount).toBe(5);
      await done(5);

      const dry = (
        await app.data<BackfillData>(BACKFILL, vars(last, { dryRun: true, rate: 200 }), TOKENS.operate)
      ).backfillJob;
      expect(dry.dryRun).toBe(true);
      expect(dry.fires).toHaveLength(1000);
      expect(dry.fires.filter((f) => f.recorded).map((f) => f.scheduledFor)).toEqual(
        [0, 1, 2, 3, 4].map((i) => iso(FROM + i * MINUTE)),
      );
      expect(dry.scheduledCount).toBe(995);
      expect((await allRows(pg, 'bf')).length).toBe(5); // a dry run stores nothing

      const started = Date.now();
      const big = (
        await app.data<BackfillData>(BACKFILL, vars(last, { rerun: true, rate: 200 }), TOKENS.operate)
      ).backfillJob;
      expect(big.scheduledCount).toBe(1000);
      expect(big.fires.slice(0, 6).map((f) => f.attempt)).toEqual([2, 2, 2, 2, 2, 1]);
      await done(1005);
      const elapsed = Date.now() - started;
      // At least the rate's 4,995 ms; the upper bound leaves room for a machine shared with other tests.
      expect(elapsed, `took ${elapsed} ms`).toBeGreaterThanOrEqual(4_900);
      expect(elapsed, `took ${elapsed} ms`).toBeLessThan(10_000);

      // Every fire of the window ran once in the big backfill, each recorded once (plus the 5 earlier).
      const rows = await allRows(pg, 'bf');
      expect(rows).toHaveLength(1005);
      expect(rows.every((r) => r.triggerKind === 'backfill' && r.status === 'success')).toBe(true);
      expect(new Set(rows.map((r) => `${r.scheduledFor}/${r.attempt}`)).size).toBe(1005);
      expect(runs).toHaveLength(1005);
      const scheduled = app.busEvents.filter(
        (e) => e.stream === 'execution' && e.type === 'scheduled' && e.execution.triggerKind === 'backfill',
      );
      expect(scheduled).toHaveLength(1005);

      const history = await app.data<{
        executions: { totalCount: number; edges: { node: { triggerKind: string } }[] };
      }>(`{ executions(jobId: "bf", first: 1) { totalCount edges { node { triggerKind } } } }`);
      expect(history.executions.totalCount).toBe(1005);
      expect(history.executions.edges[0]?.node.triggerKind).toBe('BACKFILL');
    },
    40_000,
  );

  it.skipIf(backend.skip)('needs operate, and refuses a paused job and a window too large', async () => {
    const denied = await app.request(BACKFILL, { id: 'bf', from: iso(FROM), to: iso(FROM) }, TOKENS.read);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const tooMany = await app.request(BACKFILL, {
      id: 'bf',
      from: iso(FROM),
      to: iso(FROM + 20_000 * MINUTE),
      dryRun: true,
    });
    expect(tooMany.errors?.[0]?.extensions?.field).toBe('to');
    await app.data(`mutation { pauseJob(id: "bf") { id } }`);
    const paused = await app.request(BACKFILL, { id: 'bf', from: iso(FROM), to: iso(FROM) });
    expect(paused.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });
});
