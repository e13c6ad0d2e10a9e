/**
 * Fire times as previews show them (previewTrigger, Job.upcoming): each with how a DST change
 * moved it, so an operator sees the 02:30 that runs at 03:00 before it does.
 */
import type { Trigger } from '../trigger.ts';
import { type DstNote, dstNote } from './dst.ts';
import { nextFireTime } from './next-fire.ts';

export interface PreviewRun {
  at: number;
  /** null: the fire is at its local time, which happens once that day. */
  dstNote: DstNote | null;
}

export function annotateRuns(trigger: Trigger, times: number[]): PreviewRun[] {
  return times.map((at) => ({ at, dstNote: noteOf(trigger, at) }));
}

/** Of an any trigger, the note of a cron member that fires at `at` (the first that is moved). */
function noteOf(trigger: Trigger, at: number): DstNote | null {
  if (trigger.kind === 'cron') return dstNote(trigger.expression, trigger.timezone, at);
  if (trigger.kind !== 'any') return null;
  for (const member of trigger.triggers) {
    if (member.kind !== 'cron' || nextFireTime(member, at - 1) !== at) continue;
    const note = noteOf(member, at);
    if (note !== null) return note;
  }
  return null;
}
