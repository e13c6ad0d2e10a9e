/**
 * `kairos_jobs{state}`: the stores keep no count per state, so a scrape pages through the jobs
 * (500 a read). The answer is kept for `maxAgeMs`, so several Prometheus servers scraping every
 * few seconds read the job store once per interval, not once per scrape.
 */
import type { JobQuery, Page } from '../core/ports.ts';

interface JobLister {
  listJobs(query: JobQuery): Promise<Page<{ paused: boolean; nextRunTime: number | null }>>;
}

const PAGE = 500;

export function jobsByState(service: JobLister, now: () => number, maxAgeMs = 10_000) {
  let cached: { at: number; counts: Promise<Record<string, number>> } | null = null;
  const count = async (): Promise<Record<string, number>> => {
    const counts = { active: 0, paused: 0, finished: 0 };
    let after: string | null = null;
    do {
      const page = await service.listJobs({ first: PAGE, after });
      for (const job of page.items) {
        if (job.paused) counts.paused++;
        else if (job.nextRunTime === null) counts.finished++;
        else counts.active++;
      }
      after = page.hasNextPage ? page.endCursor : null;
    } while (after !== null);
    return counts;
  };
  return (): Promise<Record<string, number>> => {
    const at = now();
    if (cached === null || at - cached.at >= maxAgeMs) {
      const counts = count();
      // A failed read is not kept: the next scrape tries again.
      counts.catch(() => {
        if (cached?.counts === counts) cached = null;
      });
      cached = { at, counts };
    }
    return cached.counts;
  };
}
