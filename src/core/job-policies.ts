/**
 * Checks of the schedule policies of a job (issue 12): coalescing and overlap. Inputs accept the
 * GraphQL enum spelling (LATEST, BUFFER_ONE) as well as the stored one (latest, buffer_one), so a
 * jobs file can be written either way.
 */
import { ValidationError } from './errors.ts';
import type { CoalesceInput, CoalescePolicy, OverlapPolicy } from './job.ts';
import { OVERLAP_POLICIES } from './job.ts';
import { describe, requireInteger } from './validate.ts';

const COALESCE_POLICIES: readonly CoalescePolicy[] = ['earliest', 'latest', 'all'];

/** true = latest and false = all, as APScheduler 3's boolean meant. */
export function requireCoalesce(value: CoalesceInput | unknown): CoalescePolicy {
  if (value === true) return 'latest';
  if (value === false) return 'all';
  return requireChoice('coalesce', value, COALESCE_POLICIES, 'true, false, ');
}

export function requireMaxRuns(value: unknown): number | null {
  return value === null ? null : requireInteger('maxRuns', value, 1);
}

/** At most 100: the check reads that many earlier runs from the history. */
export function requirePauseAfterFailures(value: unknown): number | null {
  return value === null ? null : requireInteger('pauseAfterFailures', value, 1, 100);
}

export function requireOverlap(value: unknown): OverlapPolicy {
  return requireChoice('overlap', value, OVERLAP_POLICIES, '');
}

function requireChoice<T extends string>(
  field: string,
  value: unknown,
  choices: readonly T[],
  extra: string,
): T {
  const lower = typeof value === 'string' ? value.toLowerCase() : null;
  const found = choices.find((choice) => choice === lower);
  if (found === undefined)
    throw new ValidationError(
      field,
      `must be one of ${extra}${choices.map((c) => c.toUpperCase()).join(', ')}; got ${describe(value)}`,
    );
  return found;
}
