/**
 * backfillJob's overlap over GraphQL, on memory + PGlite and on Redis + PostgreSQL (the overlap
 * column, its check and the job store's queue script are the real ones): one job per policy, each
 * backfilled with three fires a second apart and a handler that takes 2.5 s, so the second and third
 * find the only slot busy (a waiting fire asks again as a slot comes back, or every 0.5 s at the latest). What each fire became is read back from the history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './backends.ts';
import { jobHistory, slowTaskHandler, type TestApp, TOKENS } from './harness.ts';

const POLICIES = ['SKIP', 'BUFFER_ONE', 'BUFFER_ALL', 'CANCEL_OTHER'] as const;
const HANDLER_MS = 2_500;
// Three new years of a yearly job: its next scheduled fire is out of the test's reach.
const FROM = '2020-01-01T00:00:00Z';
const TO = '2022-01-01T00:00:00Z';

const slowHandler = slowTaskHandler(HANDLER_MS);

const BACKFILL = `mutation ($id: ID!, $overlap: BackfillOverlap) {
  backfillJob(id: $id, from: "${FROM}", to: "${TO}", overlap: $overlap, maxPerSecond: 1) { scheduledCount }
}`;

interface Row {
  scheduledFor: string;
  status: string;
  triggerKind: string;
  error: { message: string } | null;
}

const history = (app: TestApp, id: string) =>
  jobHistory<Row>(app, id, 'scheduledFor status triggerKind error { message }', 10);

describe.each(BACKENDS)('backfill overlap over GraphQL: $name', (backend) => {
  let app: TestApp;
  let close: () => Promise<void>;
  beforeAll(async () => {
    if (backend.skip) return;
    ({ app, close } = await backend.open({ handler: slowHandler }));
  }, 60_000);
  afterAll(async () => {
    await close?.();
  });

  it.skipIf(backend.skip)(
    'SKIP, BUFFER_ONE, BUFFER_ALL and CANCEL_OTHER each leave the history they promise',
    async () => {
      for (const policy of POLICIES) {
        const trigger = { cron: { expression: '0 0 1 1 *' } };
        await app.data(`mutation($input: AddJobInput!) { addJob(input: $input) { id } }`, {
          input: { id: policy, task: 'test', trigger },
        });
      }
      const scheduled = await Promise.all(
        POLICIES.map((policy) =>
          app.data<{ backfillJob: { scheduledCount: number } }>(
            BACKFILL,
            { id: policy, overlap: policy },
            TOKENS.operate,
          ),
        ),
      );
      expect(scheduled.map((s) => s.backfillJob.scheduledCount)).toEqual([3, 3, 3, 3]);
      const open = (rows: Row[]) => rows.filter((r) => r.status === 'PENDING' || r.status === 'RUNNING');
      const deadline = Date.now() + 20_000;
      for (;;) {
        const rows = await Promise.all(POLICIES.map((policy) => history(app, policy)));
        if (rows.every((r) => r.length === 3 && open(r).length === 0)) break;
        if (Date.now() > deadline) throw new Error(`not settled: ${JSON.stringify(rows)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const statuses = async (policy: string) => (await history(app, policy)).map((r) => r.status);
      expect(await statuses('SKIP')).toEqual(['SUCCESS', 'SKIPPED', 'SKIPPED']);
      expect(await statuses('BUFFER_ONE')).toEqual(['SUCCESS', 'SUCCESS', 'SKIPPED']);
      expect((await history(app, 'BUFFER_ONE'))[2]?.error?.message).toMatch(/backfill overlap BUFFER_ONE/);
      expect(await statuses('BUFFER_ALL')).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
      expect(await statuses('CANCEL_OTHER')).toEqual(['CANCELLED', 'CANCELLED', 'SUCCESS']);
      for (const policy of POLICIES)
        expect((await history(app, policy)).every((r) => r.triggerKind === 'BACKFILL')).toBe(true);

      // Stored with the rows, as the replica that claims one reads it.
      const stored = await app.executionLog.list({ jobId: 'BUFFER_ONE', first: 10 });
      expect(stored.items.map((r) => r.overlap)).toEqual(['buffer_one', 'buffer_one', 'buffer_one']);
    },
    40_000,
  );

  it.skipIf(backend.skip)('refuses ALLOW_ALL: not a BackfillOverlap value', async () => {
    const result = await app.request(BACKFILL, { id: 'SKIP', overlap: 'ALLOW_ALL' }, TOKENS.operate);
    expect(result.errors?.[0]?.message).toMatch(/BackfillOverlap/);
    expect(result.data ?? null).toBeNull();
  });
});
