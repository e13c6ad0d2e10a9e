/**
 * JobStore.changeCount (ports.ts), part of the JobStore contract (job-store.contract.ts runs it):
 * the count a read cache trusts. It must move with every write a read can see, on every replica
 * as soon as the write returned, and never go back; reads and refused writes leave it.
 */
import { describe, expect, it } from 'vitest';
import type { JobStore } from '../../src/core/ports.ts';
import type { JobStoreHarness } from './job-store.contract.ts';
import { makeJob } from './job-store.contract.ts';

const LEASE = 600;

export function changeCountContract(harness: () => JobStoreHarness): void {
  describe('changeCount', () => {
    const count = (s: JobStore) => (s.changeCount as () => Promise<number>).call(s);

    it('moves with every write a read can see, on both replicas, and never back', async () => {
      const { store, other } = harness();
      expect(store.changeCount).toBeTypeOf('function');
      const seen: number[] = [await count(store)];
      // Each step writes through one replica; the other's count has moved once the write returned.
      const moved = async (write: () => Promise<unknown>) => {
        await write();
        const [a, b] = await Promise.all([count(store), count(other)]);
        expect(a).toBe(b);
        expect(a).toBeGreaterThan(seen.at(-1) as number);
        seen.push(a);
      };
      const base = await store.now();
      await moved(() => store.add(makeJob('a', { nextRunTime: base - 1000, dueAt: base - 1000 })));
      await moved(() => other.add(makeJob('b', { nextRunTime: base - 1000, dueAt: base - 1000 })));
      await moved(() => other.update(makeJob('a', { name: 'renamed', version: 2 }), 1, 'keep'));
      const batch = await store.claimDue(10, LEASE);
      const token = (id: string) => batch.claims.find((c) => c.job.id === id)?.token as string;
      await moved(() =>
        other.commit([
          {
            jobId: 'a',
            token: token('a'),
            claimedNextRunTime: base - 1000,
            nextRunTime: base + 60_000,
            dueAt: base + 60_000,
          },
        ]),
      );
      await moved(() =>
        store.quarantine([{ jobId: 'b', token: token('b'), reason: 'poison', at: batch.now }]),
      );
      await moved(() => other.remove('b'));
    });

    it('reads and writes that change nothing leave it', async () => {
      const { store, other } = harness();
      await store.add(makeJob('a'));
      const before = await count(store);
      await store.get('a');
      await store.list({ first: 10 });
      await store.count();
      await other.claimDue(10, LEASE);
      await expect(store.add(makeJob('a', { name: 'another' }))).rejects.toThrow();
      await expect(store.update(makeJob('a', { version: 5 }), 4, 'keep')).rejects.toThrow();
      await expect(store.update(makeJob('gone', { version: 2 }), 1, 'keep')).rejects.toThrow();
      expect(await store.remove('gone')).toBeNull();
      expect(
        await other.commit([
          { jobId: 'a', token: 'no-such-claim', claimedNextRunTime: null, nextRunTime: null, dueAt: null },
        ]),
      ).toEqual(['stale']);
      expect(await count(other)).toBe(before);
    });
  });
}
