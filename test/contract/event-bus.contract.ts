/**
 * The EventBus contract (src/core/ports.ts), run once per adapter: numbering per stream, fan-out
 * to every subscriber of every replica, and isolation from failing listeners and bad events.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Execution } from '../../src/core/execution.ts';
import type { BusEvent, EventBus, ExecutionEvent, JobEvent, SequencedEvent } from '../../src/core/ports.ts';
import { makeJob } from './job-store.contract.ts';

export interface EventBusHarness {
  bus: EventBus;
  /** A second replica on the same bus (the memory adapter has one process: the same bus). */
  other: EventBus;
  /** Resolves when both buses hear events published from now on. */
  ready(): Promise<void>;
  /** What the buses reported through their error callback. */
  errors: unknown[];
  close(): Promise<void>;
}

export function jobEvent(jobId: string, type: JobEvent['type'] = 'updated'): JobEvent {
  return { stream: 'job', type, at: 1_767_225_600_000, jobId, job: makeJob(jobId) };
}

export function executionEvent(id: string, type: ExecutionEvent['type'] = 'started'): ExecutionEvent {
  const execution: Execution = {
    id,
    jobId: 'a',
    jobName: 'job a',
    task: 'log',
    status: 'running',
    triggerKind: 'scheduled',
    scheduledFor: 1_767_225_600_000,
    startedAt: 1_767_225_600_010,
    finishedAt: null,
    durationMs: null,
    attempt: 1,
    instance: 'replica-1',
    owner: null,
    dueAt: null,
    coversUntil: null,
    coveredFires: 1,
    error: null,
    result: { list: [], object: {} },
  };
  return { stream: 'execution', type, at: 1_767_225_600_010, execution };
}

/** Collects a listener's events; `until(n)` resolves once n have arrived (fails after 5 s). */
export function collector(bus: EventBus) {
  const events: SequencedEvent[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const unsubscribe = bus.subscribe((event) => {
    events.push(event);
    for (const w of waiters.filter((w) => events.length >= w.n)) w.resolve();
  });
  return {
    events,
    unsubscribe,
    until(n: number): Promise<SequencedEvent[]> {
      if (events.length >= n) return Promise.resolve(events);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`got ${events.length} of ${n} events`)), 5_000);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve(events);
          },
        });
      });
    },
  };
}

const ids = (events: SequencedEvent[]) =>
  events.map((e) => (e.stream === 'job' ? `job:${e.jobId}` : `execution:${e.execution.id}`));

export function eventBusContract(
  label: string,
  open: () => Promise<EventBusHarness>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`EventBus contract: ${label}`, () => {
    let h: EventBusHarness;

    beforeEach(async () => {
      h = await open();
    });
    afterEach(async () => {
      await h.close();
    });

    it('numbers each stream from 1, by one, and delivers the event as published', async () => {
      const seen = collector(h.bus);
      await h.ready();
      const published: BusEvent[] = [jobEvent('j1'), jobEvent('j2'), executionEvent('e1'), jobEvent('j3')];
      for (const event of published) h.bus.publish(event);
      const events = await seen.until(4);
      expect(ids(events)).toEqual(['job:j1', 'job:j2', 'execution:e1', 'job:j3']);
      expect(events.map((e) => `${e.stream}:${e.sequence}`)).toEqual([
        'job:1',
        'job:2',
        'execution:1',
        'job:3',
      ]);
      expect(events[2]).toEqual({ ...published[2], sequence: 1 });
      expect(events[0]).toEqual({ ...published[0], sequence: 1 });
    });

    it('fans out to every subscriber of every replica with the same numbers', async () => {
      const here = collector(h.bus);
      const alsoHere = collector(h.bus);
      const there = collector(h.other);
      await h.ready();
      h.bus.publish(jobEvent('from-bus'));
      h.other.publish(jobEvent('from-other'));
      for (const c of [here, alsoHere, there]) await c.until(2);
      const view = (events: SequencedEvent[]) => events.map((e) => `${ids([e])[0]}#${e.sequence}`);
      expect(view(here.events)).toEqual(view(there.events));
      expect(view(alsoHere.events)).toEqual(view(there.events));
      expect(here.events.map((e) => e.sequence)).toEqual([1, 2]);
    });

    it('a throwing listener does not keep the event from the others', async () => {
      const before = collector(h.bus);
      h.bus.subscribe(() => {
        throw new Error('listener bug');
      });
      const after = collector(h.bus);
      await h.ready();
      expect(() => h.bus.publish(jobEvent('j1'))).not.toThrow();
      h.bus.publish(jobEvent('j2'));
      await before.until(2);
      await after.until(2);
      expect(ids(after.events)).toEqual(['job:j1', 'job:j2']);
      expect(h.errors.length).toBeGreaterThanOrEqual(2);
    });

    it('an event that cannot be serialized is reported, not thrown, and does not use a number', async () => {
      const seen = collector(h.bus);
      await h.ready();
      const bad = jobEvent('bad');
      (bad.job as unknown as { args: unknown }).args = { big: 10n, fn: () => 1 };
      expect(() => h.bus.publish(bad)).not.toThrow();
      h.bus.publish(jobEvent('good'));
      const events = await seen.until(1);
      expect(ids(events)).toEqual(['job:good']);
      expect(events[0]?.sequence).toBe(1);
      expect(h.errors).toHaveLength(1);
    });

    it('unsubscribing stops delivery to that listener only', async () => {
      const leaving = collector(h.bus);
      const staying = collector(h.bus);
      await h.ready();
      h.bus.publish(jobEvent('j1'));
      await leaving.until(1);
      leaving.unsubscribe();
      h.bus.publish(jobEvent('j2'));
      await staying.until(2);
      expect(ids(leaving.events)).toEqual(['job:j1']);
    });

    it('a copy is delivered: mutating the published object afterwards changes nothing', async () => {
      const seen = collector(h.bus);
      await h.ready();
      const event = jobEvent('j1');
      h.bus.publish(event);
      event.job.name = 'mutated';
      const [got] = await seen.until(1);
      expect(got?.stream === 'job' && got.job.name).toBe('job j1');
    });

    it('after close, publish is a no-op and nothing is delivered', async () => {
      const seen = collector(h.other);
      await h.ready();
      await h.bus.close();
      expect(() => h.bus.publish(jobEvent('late'))).not.toThrow();
      if (h.other !== h.bus) {
        h.other.publish(jobEvent('marker'));
        await seen.until(1);
        expect(ids(seen.events)).toEqual(['job:marker']);
      } else {
        await Promise.resolve();
        expect(seen.events).toEqual([]);
      }
    });
  });
}
