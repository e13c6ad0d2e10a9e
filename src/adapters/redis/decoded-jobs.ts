/**
 * Decoded jobs kept for list(): clients paging through the same jobs read the same stored strings
 * again and again, so a page reuses the frozen job it decoded last time when every stored string
 * (definition, schedule, version, paused flag, pause info) is unchanged, instead of parsing the
 * JSON (and allocating the job) again. Only exact equality of what Redis returned counts, so a hit
 * is what decoding would have produced.
 * Bounded by the JSON characters held; the oldest entries leave first.
 */
import type { Job } from '../../core/job.ts';
import { deepFreeze } from '../deep-freeze.ts';
import { decodeJob } from './job-codec.ts';

interface Entry {
  json: string;
  next: string | null;
  version: string | null;
  paused: boolean;
  pauseInfo: string | null;
  job: Job;
}

export class DecodedJobs {
  private readonly entries = new Map<string, Entry>();
  private readonly maxChars: number;
  private chars = 0;

  constructor(maxChars: number) {
    this.maxChars = maxChars;
  }

  /** decodeJob, frozen, from the cache when the stored strings are the ones seen last time. */
  decode(
    id: string,
    json: string,
    next: string | null,
    version: string | null,
    paused: boolean,
    pauseInfo: string | null = null,
  ): Job {
    const known = this.entries.get(id);
    if (
      known &&
      known.json === json &&
      known.next === next &&
      known.version === version &&
      known.paused === paused &&
      known.pauseInfo === pauseInfo
    )
      return known.job;
    const job = deepFreeze(decodeJob(json, next, version, paused, pauseInfo));
    if (known) {
      this.entries.delete(id);
      this.chars -= size(known);
    }
    const entry = { json, next, version, paused, pauseInfo, job };
    this.entries.set(id, entry);
    this.chars += size(entry);
    for (const [oldest, old] of this.entries) {
      if (this.chars <= this.maxChars) break;
      this.entries.delete(oldest);
      this.chars -= size(old);
    }
    return job;
  }
}

function size(entry: Entry): number {
  return entry.json.length + (entry.pauseInfo?.length ?? 0);
}
