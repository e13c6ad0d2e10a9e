/**
 * Daylight saving time policies of cron triggers (docs/cron-spec.md). croner applies one built-in
 * rule (cronie's: fixed-time schedules shift out of a gap and run once in a repeated hour,
 * wildcard schedules skip the gap and run in both passes); a trigger may choose otherwise per
 * case. For such a trigger the expression is matched against local wall-clock time (croner in
 * UTC over "local time as if it were UTC") and each matching local time is mapped to its
 * instants in the zone by the policy: none, one, or two (a repeated hour).
 */
import type { Cron } from 'croner';
import type { DstPolicy } from '../trigger.ts';
import { compileCron } from './cron.ts';
import { parseCronExpression } from './cron-parse.ts';

/** DST changes are at most 2 h: fires this far from one can be reordered by it. */
const NEAR_MS = 3 * 3_600_000;
const DAY_MS = 86_400_000;

/** cronie's rule, which croner applies (fixedTimeRule 'no-wildcard'). */
export function defaultDstPolicy(expression: string): DstPolicy {
  return parseCronExpression(expression, 'trigger.cron.expression').fixedTime
    ? { gap: 'shift', repeat: 'first' }
    : { gap: 'skip', repeat: 'both' };
}

export function isDefaultDstPolicy(expression: string, policy: DstPolicy): boolean {
  const base = defaultDstPolicy(expression);
  return base.gap === policy.gap && base.repeat === policy.repeat;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The local wall-clock time of `instant` in `zone`, as epoch ms of that time read as UTC. */
export function wallClock(zone: string, instant: number): number {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, format);
  }
  const part: Record<string, number> = {};
  for (const { type, value } of format.formatToParts(new Date(instant))) part[type] = Number(value);
  const date = new Date(0);
  date.setUTCFullYear(part.year ?? 1970, (part.month ?? 1) - 1, part.day ?? 1);
  date.setUTCHours(part.hour ?? 0, part.minute ?? 0, part.second ?? 0, ((instant % 1000) + 1000) % 1000);
  return date.getTime();
}

function offsetAt(zone: string, instant: number): number {
  return wallClock(zone, instant) - instant;
}

/**
 * The instants whose local time is `wall`: two in a repeated hour (earlier first), one usually,
 * none in a gap; then `gapEnd` is the instant of the jump (the first local time after the gap).
 */
export function instantsOf(zone: string, wall: number): { instants: number[]; gapEnd: number | null } {
  const before = offsetAt(zone, wall - DAY_MS);
  const after = offsetAt(zone, wall + DAY_MS);
  const instants = [...new Set([wall - before, wall - after])]
    .filter((t) => wallClock(zone, t) === wall)
    .sort((a, b) => a - b);
  if (instants.length > 0) return { instants, gapEnd: null };
  // In a gap: wall - after is before the jump (old offset), wall - before after it.
  let lo = wall - after;
  let hi = wall - before;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(zone, mid) === after) hi = mid;
    else lo = mid;
  }
  return { instants: [], gapEnd: hi };
}

function byPolicy(zone: string, policy: DstPolicy, wall: number): number[] {
  const { instants, gapEnd } = instantsOf(zone, wall);
  if (gapEnd !== null) return policy.gap === 'shift' ? [gapEnd] : [];
  if (instants.length < 2) return instants;
  if (policy.repeat === 'both') return instants;
  return [policy.repeat === 'first' ? (instants[0] as number) : (instants[1] as number)];
}

function nextWall(cron: Cron, after: number): number | null {
  return cron.nextRun(new Date(after))?.getTime() ?? null;
}

/** Whether a DST change is within NEAR_MS of `instant` (the offset differs on either side). */
function nearChange(zone: string, instant: number): boolean {
  return offsetAt(zone, instant - NEAR_MS) !== offsetAt(zone, instant + NEAR_MS);
}

/**
 * Next fire strictly after `after` under `policy`. Local times are visited in order; near a DST
 * change they are not in the order of their instants (a repeated hour's second pass comes after
 * later local times' first), so the search there looks NEAR_MS of local time back and past the
 * best instant found before answering.
 */
export function nextCronTimeWithPolicy(
  expression: string,
  zone: string,
  policy: DstPolicy,
  after: number,
): number | null {
  const cron = compileCron(expression, 'UTC');
  let best: number | null = null;
  const from = wallClock(zone, after) - (nearChange(zone, after) ? NEAR_MS : 0);
  for (let wall = nextWall(cron, from); wall !== null; wall = nextWall(cron, wall)) {
    if (best !== null && wall - (nearChange(zone, best) ? NEAR_MS : 0) > wallClock(zone, best)) break;
    for (const t of byPolicy(zone, policy, wall)) if (t > after && (best === null || t < best)) best = t;
  }
  return best;
}

export type DstNote = 'shifted' | 'repeated_first' | 'repeated_second';

/** How a DST change moved the fire at `instant` of a cron schedule, or null when it did not. */
export function dstNote(expression: string, zone: string, instant: number): DstNote | null {
  const wall = wallClock(zone, instant);
  if (nextWall(compileCron(expression, 'UTC'), wall - 1000) !== wall) return 'shifted';
  const { instants } = instantsOf(zone, wall);
  if (instants.length < 2) return null;
  return instants[0] === instant ? 'repeated_first' : 'repeated_second';
}
