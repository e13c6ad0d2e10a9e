/**
 * The one question the scheduler asks of a trigger: when is the next fire? Pure: the caller passes
 * the instant to search from (the previous *scheduled* time, or now), and never the clock.
 */
import type { Trigger } from '../trigger.ts';
import { nextCronTime } from './cron.ts';
import { nextDateTime } from './date.ts';
import { nextIntervalTime } from './interval.ts';

/**
 * Next nominal fire strictly after `after` (epoch ms), not before startDate and not after endDate;
 * null when the trigger has no more fires.
 */
export function nextFireTime(trigger: Trigger, after: number): number | null {
  if (!Number.isFinite(after)) throw new RangeError(`after must be a finite epoch ms, got ${after}`);
  // Searching from just before startDate lets a fire exactly at startDate count.
  const from = trigger.startDate === null ? after : Math.max(after, trigger.startDate - 1);
  const next = nextByKind(trigger, from);
  if (next === null) return null;
  return trigger.endDate !== null && next > trigger.endDate ? null : next;
}

function nextByKind(trigger: Trigger, after: number): number | null {
  switch (trigger.kind) {
    case 'cron':
      return nextCronTime(trigger.expression, trigger.timezone, after, trigger.dst ?? null);
    case 'interval':
      return nextIntervalTime(trigger, after);
    case 'date':
      return nextDateTime(trigger, after);
    case 'any': {
      // The earliest member's next fire: an instant two members share is one fire.
      let next: number | null = null;
      for (const member of trigger.triggers) {
        const t = nextFireTime(member, after);
        if (t !== null && (next === null || t < next)) next = t;
      }
      return next;
    }
  }
}

/** Up to `count` fires, each strictly after the one before, the first strictly after `after`. */
export function upcomingFireTimes(trigger: Trigger, after: number, count: number): number[] {
  const fires: number[] = [];
  let from = after;
  while (fires.length < count) {
    const next = nextFireTime(trigger, from);
    if (next === null) break;
    fires.push(next);
    from = next;
  }
  return fires;
}

/**
 * A delay in [0, jitterMs] (integer ms) for the fire of `key` (a job id) at `nominal`. It is a hash,
 * not a random draw, so every replica computes the same due time for the same fire, and successive
 * fires of one job get different delays.
 */
export function jitterOffset(key: string, nominal: number, jitterMs: number): number {
  const max = Math.floor(jitterMs);
  if (!(max > 0)) return 0;
  return hash53(`${key}\u0000${nominal}`) % (max + 1);
}

/** cyrb53 (public domain, bryc): a fast 53-bit string hash with good spread, same on every runtime. */
function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
