import { describe, expect, it } from 'vitest';
import { createMemoryJobStore } from '../../src/adapters/memory/job-store.ts';
import { type JobStoreHarness, jobStoreContract, makeJob } from '../contract/job-store.contract.ts';
import { slotQueueContract } from '../contract/slot-queue.contract.ts';
import { FakeClock } from '../support/fake-clock.ts';

const open = async (): Promise<JobStoreHarness> => {
  const clock = new FakeClock();
  const store = createMemoryJobStore({ clock });
  return {
    store,
    other: store,
    reach: (instant) => clock.advanceTo(instant),
    close: () => store.close(),
  };
};
jobStoreContract('memory', open);
slotQueueContract('memory', open);

describe('memory JobStore', () => {
  it('reads time only from the injected clock', async () => {
    const clock = new FakeClock('2030-01-01T00:00:00Z');
    const store = createMemoryJobStore({ clock });
    await store.add(makeJob('a', { nextRunTime: clock.now() + 1000, dueAt: clock.now() + 1000 }));
    expect(await store.now()).toBe(clock.now());
    expect((await store.claimDue(10, 100)).claims).toEqual([]);
    await clock.advance(1000);
    const batch = await store.claimDue(10, 100);
    expect(batch.now).toBe(Date.parse('2030-01-01T00:00:01Z'));
    expect(batch.claims.map((c) => c.job.id)).toEqual(['a']);
    expect(await store.nextWakeAt()).toBe(batch.now + 100);
  });

  it('claims 10 due jobs among 10,000 without scanning them all', async () => {
    const clock = new FakeClock();
    const store = createMemoryJobStore({ clock });
    const now = clock.now();
    for (let i = 0; i < 10_000; i++) {
      const at = i % 1000 === 0 ? now - i : now + 86_400_000 + i;
      await store.add(makeJob(`job-${i}`, { nextRunTime: at, dueAt: at }));
    }
    const started = performance.now();
    const batch = await store.claimDue(100, 30_000);
    const elapsed = performance.now() - started;
    console.log(`memory claimDue of 10 due among 10,000 jobs: ${elapsed.toFixed(2)} ms`);
    expect(batch.claims.map((c) => c.job.id)).toEqual(
      Array.from({ length: 10 }, (_, k) => `job-${(9 - k) * 1000}`),
    );
    expect(await store.nextWakeAt()).toBe(now + 30_000);
  });
});
