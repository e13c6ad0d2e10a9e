/**
 * Overlap policies end to end over GraphQL, on memory + PGlite and on Redis + PostgreSQL (the
 * queue script and the status check are the real ones): four jobs firing every second with a
 * handler that takes 1.5 s, one per policy. Who ran, who was SKIPPED, who waited and who was
 * CANCELLED is read back from the history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './backends.ts';
import { jobHistory, slowTaskHandler, type TestApp } from './harness.ts';

const POLICIES = ['SKIP', 'BUFFER_ONE', 'BUFFER_ALL', 'CANCEL_OTHER'] as const;
const HANDLER_MS = 1_500;

interface Row {
  scheduledFor: string;
  startedAt: string | null;
  finishedAt: string | null;
  status: string;
}

const slowHandler = slowTaskHandler(HANDLER_MS);

const history = (app: TestApp, id: string) =>
  jobHistory<Row>(app, id, 'scheduledFor startedAt finishedAt status', 100);

describe.each(BACKENDS)('overlap policies over GraphQL: $name', (backend) => {
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
        const added = await app.data<{ addJob: { overlap: string } }>(
          `mutation($input: AddJobInput!) { addJob(input: $input) { overlap } }`,
          { input: { id: policy, task: 'test', trigger: { interval: { seconds: 1 } }, overlap: policy } },
        );
        expect(added.addJob.overlap).toBe(policy);
      }
      await new Promise((resolve) => setTimeout(resolve, 4_300));
      for (const policy of POLICIES) await app.data(`mutation { pauseJob(id: "${policy}") { paused } }`);
      // Let what runs or waits finish (BUFFER_ALL has a backlog of about 2 runs of 1.5 s).
      await new Promise((resolve) => setTimeout(resolve, 4 * HANDLER_MS));

      const skip = await history(app, 'SKIP');
      expect(skip.map((r) => r.status)).toContain('SKIPPED');
      expect(skip.every((r) => r.status === 'SUCCESS' || r.status === 'SKIPPED')).toBe(true);
      expect(skip.filter((r) => r.status === 'SKIPPED').every((r) => r.startedAt === null)).toBe(true);

      // One waits (and starts late, when the slot frees); a second one due meanwhile is SKIPPED.
      const one = await history(app, 'BUFFER_ONE');
      expect(one.map((r) => r.status)).toContain('SKIPPED');
      const waited = one.filter(
        (r) => r.startedAt !== null && Date.parse(r.startedAt) - Date.parse(r.scheduledFor) > 300,
      );
      expect(waited.length).toBeGreaterThan(0);

      // All wait, none is skipped, they start in order, one after the other ends.
      const all = await history(app, 'BUFFER_ALL');
      expect(all.length).toBeGreaterThanOrEqual(4);
      expect(all.every((r) => r.status === 'SUCCESS')).toBe(true);
      for (let i = 1; i < all.length; i++) {
        expect(Date.parse(all[i]?.startedAt ?? '')).toBeGreaterThanOrEqual(
          Date.parse(all[i - 1]?.finishedAt ?? ''),
        );
      }

      // Each new fire cancels the one running: no SKIPPED, every run but the last CANCELLED.
      const cancel = await history(app, 'CANCEL_OTHER');
      expect(cancel.map((r) => r.status)).toContain('CANCELLED');
      expect(cancel.some((r) => r.status === 'SKIPPED')).toBe(false);
      expect(cancel.at(-1)?.status).toBe('SUCCESS');
    },
    30_000,
  );
});
