/**
 * Replica failover on a fake clock (issue "Replicas and outages"): two schedulers share one store
 * and one log; one of them dies (every call hangs, as a SIGKILL looks from outside) or freezes
 * (every call is held, then goes on, as SIGSTOP/SIGCONT or a long pause looks). Default timings:
 * heartbeat every second, a life expires after 3 s, slot leases of 5 s.
 */
import { describe, expect, it } from 'vitest';
import type { Execution } from '../../src/core/execution.ts';
import type { Job } from '../../src/core/job.ts';
import { accountingProblems } from '../support/accounting.ts';
import { createHarness, type Harness, peerOf } from '../support/scheduler-harness.ts';

const SECOND = 1_000;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
// A batch of 200: the herd test below has 200 jobs, a share per round is 100 with two replicas.
const DEFAULTS = {
  slotLeaseMs: 5_000,
  reapIntervalMs: 1_000,
  livenessTtlMs: 3_000,
  maxSleepMs: 1_000,
  claimBatchSize: 200,
};

/** Replica A's ports: calls hang (dead) or wait for the thaw (frozen) once `state.mode` says so. */
function faultyPorts() {
  const state = { mode: 'live' as 'live' | 'dead' | 'frozen', thaw: () => {} };
  let thawed = Promise.resolve();
  const hang = new Promise<never>(() => {});
  const wrap = <P extends object>(_port: 'store' | 'log', adapter: P): P =>
    new Proxy(adapter, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (state.mode === 'dead') return hang;
          if (state.mode === 'frozen') return thawed.then(() => value.apply(object, args));
          return value.apply(object, args);
        };
      },
    });
  const freeze = () => {
    state.mode = 'frozen';
    thawed = new Promise<void>((resolve) => {
      state.thaw = () => {
        state.mode = 'live';
        resolve();
      };
    });
  };
  return { state, wrap, freeze };
}

/** 200 jobs every second, all due on the same instants. */
async function addHerd(a: Harness): Promise<void> {
  for (let i = 0; i < 200; i++) await a.add({ id: `herd-${i}`, trigger: { interval: { seconds: 1 } } });
}

/** Each instant's 200 fires were recorded, at least a quarter of them by each replica. */
function expectSplit(rows: Execution[], instants: number[]): void {
  for (const instant of instants) {
    const due = rows.filter((r) => r.scheduledFor === instant);
    const ofA = due.filter((r) => r.instance === 'a').length;
    expect(due).toHaveLength(200);
    expect(ofA, `${ofA} of 200 on a`).toBeGreaterThanOrEqual(50);
    expect(200 - ofA, `${200 - ofA} of 200 on b`).toBeGreaterThanOrEqual(50);
  }
}

/** A runs alone until the fault; B starts then (both share the task registry, so calls are counted together). */
async function setUp(handler: (jobId: string, scheduledFor: number) => unknown) {
  const ports = faultyPorts();
  const runs: { jobId: string; scheduledFor: number }[] = [];
  const a = createHarness({
    wrap: ports.wrap,
    scheduler: { ...DEFAULTS, instance: 'a' },
    handler: (_args, context) => {
      runs.push({ jobId: context.jobId, scheduledFor: context.scheduledFor });
      return handler(context.jobId, context.scheduledFor) as Promise<void> | undefined;
    },
  });
  const b = peerOf(a, { ...DEFAULTS, instance: 'b' });
  const jobs: Job[] = [];
  for (const id of ['long', 'j1', 'j2', 'j3', 'j4', 'j5'])
    jobs.push(await a.add({ id, trigger: { interval: { seconds: 1 } } }));
  return { a, b, ports, runs, jobs };
}

function firesRunTwice(rows: { jobId: string; scheduledFor: number; status: string; attempt: number }[]) {
  const seen = new Map<string, number>();
  for (const row of rows) {
    if (row.status !== 'success') continue;
    const key = `${row.jobId}@${row.scheduledFor}#${row.attempt}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1);
}

describe('replica failover', () => {
  it("a killed replica's work is taken over within 5 s: runs settled, none run twice", async () => {
    // Just before :04, when A has claimed and recorded the fires of :04 but not started them.
    const death = T0 + 3_998;
    // The run of 'long' in flight at the death never ends.
    const { a, b, ports, jobs } = await setUp((jobId, at) =>
      jobId === 'long' && at < death ? new Promise<void>(() => {}) : undefined,
    );
    await a.clock.advance(3_998);
    ports.state.mode = 'dead';
    b.start();
    await a.clock.advance(12 * SECOND + 502); // to :16.5, between two fires
    const end = a.clock.now();
    const rows = await a.executions();
    // A had recorded the fires of :04, due before its life ran out: they may have run there (a slot
    // goes back before the result is written), so they are settled, never run a second time.
    const recorded = rows.filter((r) => r.scheduledFor === T0 + 4 * SECOND && r.jobId !== 'long');
    expect(recorded.map((r) => [r.status, r.instance])).toEqual(Array(5).fill(['abandoned', 'a']));

    // Every row the dead replica left open is settled within 5 s of its death.
    const ofA = rows.filter((r) => r.instance === 'a');
    expect(ofA.filter((r) => r.status === 'running' || r.status === 'pending')).toEqual([]);
    const settledLate = rows.filter(
      (r) => r.status === 'abandoned' && (r.finishedAt ?? 0) - death > 5 * SECOND,
    );
    expect(settledLate).toEqual([]);
    expect(rows.some((r) => r.jobId === 'long' && r.status === 'abandoned')).toBe(true);

    for (const job of jobs) {
      const stored = await a.service.getJob(job.id);
      const own = rows.filter((r) => r.jobId === job.id);
      expect(accountingProblems(stored, job.nextRunTime, stored.nextRunTime, own)).toEqual([]);
      // No job loses more than 5 fires to the death (SKIPPED while the dead slot was held, etc.).
      const lost = own.filter(
        (r) => r.scheduledFor > death && r.scheduledFor <= end && r.status !== 'success',
      );
      expect(
        lost.length,
        `${job.id}: ${lost.map((r) => `${r.scheduledFor - T0}:${r.status}`)}`,
      ).toBeLessThanOrEqual(5);
      // And it fires normally again, on B, well before the end.
      expect(
        own.filter((r) => r.scheduledFor >= death + 6 * SECOND).every((r) => r.status === 'success'),
      ).toBe(true);
    }
    expect(firesRunTwice(rows)).toEqual([]);
    expect(await a.store.replicas()).toMatchObject([{ instance: 'b' }]);
    await b.stop({ deadlineMs: 0 });
  });

  it('a run lost with its replica is retried when the job allows another attempt', async () => {
    let dead = false;
    // Attempt 1 runs on A and never ends; attempt 2 runs after the death, on B.
    const { a, b, ports } = await setUp((jobId) =>
      jobId === 'retried' && !dead ? new Promise<void>(() => {}) : undefined,
    );
    await a.add({
      id: 'retried',
      trigger: { date: { runDate: T0 + SECOND } },
      retry: { attempts: 2, backoffMs: 500, jitter: false },
    });
    await a.clock.advance(1_500);
    ports.state.mode = 'dead';
    dead = true;
    b.start();
    await a.clock.advance(8 * SECOND);
    const rows = await a.executions('retried');
    expect(rows.map((r) => [r.attempt, r.status, r.triggerKind])).toEqual([
      [1, 'abandoned', 'scheduled'],
      [2, 'success', 'retry'],
    ]);
    expect(rows[1]?.instance).toBe('b');
    await b.stop({ deadlineMs: 0 });
  });

  it('a frozen replica that comes back past its expiry is fenced, reports it, and never runs a fire twice', async () => {
    const freezeAt = T0 + 3_500;
    // The run of 'long' in flight at the freeze ends 8 s later, after the thaw.
    const { a, b, ports, jobs, runs } = await setUp((jobId, at) =>
      jobId === 'long' && at < freezeAt
        ? new Promise<void>((resolve) => a.clock.setTimeout(resolve, 8 * SECOND))
        : undefined,
    );
    const lost: string[] = [];
    a.scheduler.events.on('error', ({ during, error }) => {
      if (during === 'heartbeat') lost.push(String(error));
    });
    const stale: string[] = [];
    a.scheduler.events.on('commit', ({ outcome }) => stale.push(outcome));
    await a.clock.advance(3_500);
    ports.freeze();
    b.start();
    await a.clock.advance(6 * SECOND);
    ports.state.thaw();
    await a.clock.advance(8 * SECOND);
    const rows = await a.executions();

    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatch(/declared dead/);
    // Fires A recorded before the freeze went to B; A's late commits for them were refused.
    expect(stale.every((outcome) => outcome === 'stale')).toBe(true);
    for (const job of jobs) {
      const stored = await a.service.getJob(job.id);
      const own = rows.filter((r) => r.jobId === job.id);
      // Up to now: B may have claimed the next fire ahead (recorded, not yet due).
      const until = Math.min(stored.nextRunTime ?? Number.POSITIVE_INFINITY, a.clock.now());
      expect(accountingProblems(stored, job.nextRunTime, until, own)).toEqual([]);
    }
    expect(firesRunTwice(rows)).toEqual([]);
    // Handler calls: no (job, fire) started twice, on either replica.
    const started = new Map<string, number>();
    for (const r of runs)
      started.set(`${r.jobId}@${r.scheduledFor}`, (started.get(`${r.jobId}@${r.scheduledFor}`) ?? 0) + 1);
    expect([...started].filter(([, n]) => n > 1)).toEqual([]);
    // A is back under a new life and fires again.
    const lives = await a.store.replicas();
    expect(lives.map((l) => l.instance).sort()).toEqual(['a', 'b']);
    expect(
      rows.some((r) => r.instance === 'a' && r.status === 'success' && r.scheduledFor > T0 + 11 * SECOND),
    ).toBe(true);
    await b.stop({ deadlineMs: 0 });
  });

  it('two replicas share a herd: each claims a share of the fires due together', async () => {
    const { a, b } = await setUp(() => undefined);
    await addHerd(a);
    b.start();
    await a.clock.advance(6_500); // both count their peers by now
    const rows = (await a.executions()).filter((r) => r.jobId.startsWith('herd-'));
    // Within one instant, not only from one second to the next.
    expectSplit(rows, [T0 + 5 * SECOND, T0 + 6 * SECOND]);
    expect(firesRunTwice(rows)).toEqual([]);
    await b.stop({ deadlineMs: 0 });
  });
  it('a replica with slower bookkeeping does not take the herd: both look the same way ahead', async () => {
    // A's history writes take 150 ms: on its own adaptive lookahead it woke ~300 ms before each
    // instant, long before B, and claimed every fire (which made its rounds slower still).
    let clock: { setTimeout(fn: () => void, ms: number): unknown } | undefined;
    const slowLog = <P extends object>(port: 'store' | 'log', adapter: P): P =>
      port === 'store'
        ? adapter
        : new Proxy(adapter, {
            get(object, property, receiver) {
              const value = Reflect.get(object, property, receiver);
              if (typeof value !== 'function') return value;
              return (...args: unknown[]) =>
                clock === undefined
                  ? value.apply(object, args)
                  : new Promise<void>((resolve) => clock?.setTimeout(() => resolve(), 150)).then(() =>
                      value.apply(object, args),
                    );
            },
          });
    const a = createHarness({ wrap: slowLog, scheduler: { ...DEFAULTS, instance: 'a' } });
    clock = a.clock;
    const b = peerOf(a, { ...DEFAULTS, instance: 'b' });
    await addHerd(a);
    b.start();
    await a.clock.advance(8_500);
    const rows = (await a.executions()).filter((r) => r.jobId.startsWith('herd-'));
    expectSplit(rows, [T0 + 6 * SECOND, T0 + 7 * SECOND, T0 + 8 * SECOND]);
    expect(firesRunTwice(rows)).toEqual([]);
    await b.stop({ deadlineMs: 0 });
  });
  it('a live peer that claims nothing: the herd it was left still starts on time', async () => {
    const a = createHarness({ scheduler: { ...DEFAULTS, instance: 'a' } });
    // B heart-beats (it counts as a peer) but its claims never come back.
    const stuck = new Proxy(a.store, {
      get(object, property, receiver) {
        if (property === 'claimDue') return () => new Promise(() => {});
        const value = Reflect.get(object, property, receiver);
        return typeof value === 'function' ? value.bind(object) : value;
      },
    });
    const b = peerOf(a, { ...DEFAULTS, instance: 'b', store: stuck });
    await addHerd(a);
    b.start();
    await a.clock.advance(6_500);
    expect((await a.store.replicas()).map((l) => l.instance).sort()).toEqual(['a', 'b']);
    const rows = (await a.executions()).filter((r) => r.jobId.startsWith('herd-'));
    for (const instant of [T0 + 4 * SECOND, T0 + 5 * SECOND, T0 + 6 * SECOND]) {
      const due = rows.filter((r) => r.scheduledFor === instant);
      expect(due).toHaveLength(200);
      expect(due.every((r) => r.instance === 'a' && r.status === 'success')).toBe(true);
      const late = Math.max(...due.map((r) => (r.startedAt ?? Number.POSITIVE_INFINITY) - instant));
      expect(late, 'latest start after its due time, ms').toBeLessThanOrEqual(5);
    }
    void b.stop({ deadlineMs: 0 }); // its claim never returns, so neither does its stop
  });
});
