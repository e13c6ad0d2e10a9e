/**
 * The schedule policies' part of the JobStore contract, run once per adapter like the rest: the
 * wait queue of acquireQueuedSlots (overlap policies: order, bound, leases of waiting places,
 * cancel marks seen by renewSlots, what release gives back) and the runCount a commit carries
 * (maxRuns). `other` is a second replica on the same data.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobStore, QueuedSlotRequest } from '../../src/core/ports.ts';
import { type JobStoreHarness, makeJob } from './job-store.contract.ts';

const LEASE = 600;
const LONG = 60_000;

const slot = (executionId: string, jobId = 'a') => ({ jobId, executionId });
const request = (
  executionId: string,
  order: number,
  limit: number,
  cancelOldest = false,
): QueuedSlotRequest => ({
  slot: slot(executionId),
  maxInstances: 1,
  order,
  limit,
  cancelOldest,
});
const outcomes = async (store: JobStore, requests: QueuedSlotRequest[], lease = LONG) =>
  (await store.acquireQueuedSlots(requests, lease)).map((answer) => answer.outcome);

export function slotQueueContract(
  label: string,
  open: () => Promise<JobStoreHarness>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`slot queue contract: ${label}`, () => {
    let h: JobStoreHarness;
    beforeEach(async () => {
      h = await open();
    });
    afterEach(async () => {
      await h.close();
    });

    it('a free slot is acquired; when busy, fires queue up to the limit and the rest are full', async () => {
      expect(await outcomes(h.store, [request('e1', 1, 2)])).toEqual(['acquired']);
      expect(await outcomes(h.store, [request('e2', 2, 2), request('e3', 3, 2)])).toEqual([
        'queued',
        'queued',
      ]);
      expect(await outcomes(h.other, [request('e4', 4, 2)])).toEqual(['full']);
      // Waiting places count as held for the sweep and the reapers.
      expect(await h.store.heldSlots([slot('e2'), slot('e4')])).toEqual([true, false]);
    });

    it('a freed slot goes to the first in line, across replicas, never to a newcomer', async () => {
      expect(await outcomes(h.store, [request('e1', 1, 5)])).toEqual(['acquired']);
      expect(await outcomes(h.other, [request('e3', 3, 5)])).toEqual(['queued']);
      expect(await outcomes(h.store, [request('e2', 2, 5)])).toEqual(['queued']);
      await h.store.releaseSlots([slot('e1')]);
      expect(await outcomes(h.other, [request('e3', 3, 5)])).toEqual(['queued']);
      expect(await outcomes(h.store, [request('e4', 4, 5)])).toEqual(['queued']);
      expect(await outcomes(h.store, [request('e2', 2, 5)])).toEqual(['acquired']);
      await h.store.releaseSlots([slot('e2')]);
      expect(await outcomes(h.other, [request('e3', 3, 5)])).toEqual(['acquired']);
    });

    it('a place whose replica stopped asking runs out with its lease; a released place is gone at once', async () => {
      expect(await outcomes(h.store, [request('e1', 1, 1)])).toEqual(['acquired']);
      expect(await outcomes(h.store, [request('e2', 2, 1)], LEASE)).toEqual(['queued']);
      // Read after the place was taken: its lease ends by then + LEASE (a time read before the
      // call could be a few ms early on a loaded machine, and the place still there).
      const queuedBy = await h.store.now();
      expect(await outcomes(h.store, [request('e3', 3, 1)])).toEqual(['full']);
      await h.reach(queuedBy + LEASE + 1);
      expect(await outcomes(h.store, [request('e3', 3, 1)])).toEqual(['queued']);
      await h.store.releaseSlots([slot('e3')]);
      expect(await outcomes(h.store, [request('e4', 4, 1)])).toEqual(['queued']);
    });

    it('cancelOldest marks one holder per waiter, oldest first; renewSlots reports the marked ones', async () => {
      const two = (id: string, order: number) => ({ ...request(id, order, 2, true), maxInstances: 2 });
      expect(await outcomes(h.store, [two('0001', 1), two('0002', 2)])).toEqual(['acquired', 'acquired']);
      const [first] = await h.other.acquireQueuedSlots([two('0003', 3)], LONG);
      expect(first).toEqual({ outcome: 'queued', cancel: ['0001'] });
      const [again] = await h.other.acquireQueuedSlots([two('0003', 3)], LONG);
      expect(again?.cancel).toEqual([]);
      expect(await h.store.renewSlots([slot('0001'), slot('0002')], LONG)).toEqual([slot('0001')]);
      await h.store.releaseSlots([slot('0001')]);
      expect(await h.store.renewSlots([slot('0002')], LONG)).toEqual([]);
      expect(await outcomes(h.other, [two('0003', 3)])).toEqual(['acquired']);
    });

    it('a commit keeps the runCount it carries, also when it finishes the job; others keep theirs', async () => {
      const at = (await h.store.now()) - 1;
      await h.store.add(makeJob('r', { nextRunTime: at, dueAt: at, maxRuns: 2 }));
      const [claim] = (await h.store.claimDue(1, LONG)).claims;
      expect(claim?.job.runCount ?? 0).toBe(0);
      const commit = { jobId: 'r', token: claim?.token ?? '', claimedNextRunTime: at };
      expect(await h.store.commit([{ ...commit, nextRunTime: null, dueAt: null, runCount: 2 }])).toEqual([
        'committed',
      ]);
      const stored = await h.other.get('r');
      expect([stored?.nextRunTime, stored?.runCount]).toEqual([null, 2]);
      await h.store.update(
        { ...(stored as NonNullable<typeof stored>), name: 'renamed', version: 2 },
        1,
        'keep',
      );
      expect((await h.other.get('r'))?.runCount).toBe(2);
    });
  });
}
