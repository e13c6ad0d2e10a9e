/**
 * Why Kairos computes cron with croner (behind its own grammar, src/core/triggers/) and not
 * node-cron, measured:
 * - timers: 1,000 jobs every second in one process for N seconds, each library scheduling them
 *   itself (node-cron `schedule`, croner `new Cron(pattern, fn)`), each in a process of its own:
 *   p50/p99 start lateness after the second, and the share of one core the process used;
 * - correctness: the cron/DST corpus Kairos's tests check (test/fixtures/cron-rules.json,
 *   test/unit/triggers/cron-examples.json, the cronie-rule fires of test/fixtures/dst-changes.json):
 *   how many cases node-cron, croner alone and croner behind Kairos's grammar get right. A case
 *   expects the next fires after an instant, or that the expression is refused.
 *
 *   node bench/cron-libs.ts [jobs=1000] [seconds=20]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Cron } from 'croner';
import nodeCron from 'node-cron';
import { compileTrigger } from '../src/core/triggers/compile.ts';
import { upcomingFireTimes } from '../src/core/triggers/next-fire.ts';
import { compare, loadAverage, printTable, report, times } from './support.ts';

type Library = 'node-cron' | 'croner';
const LIBRARIES: Library[] = ['node-cron', 'croner'];

interface Timing {
  fires: number;
  expected: number;
  p50: number;
  p99: number;
  max: number;
  corePercent: number;
}

if (process.argv[2] === 'timers') await timers(process.argv[3] as Library);

const JOBS = Number(process.argv[2] ?? 1000);
const SECONDS = Number(process.argv[3] ?? 20);

/** The child side: JOBS jobs every second with one library; its figures as one JSON line. */
async function timers(library: Library): Promise<never> {
  const jobs = Number(process.argv[4]);
  const seconds = Number(process.argv[5]);
  // One second to settle (the first fires set timers up), then the measured window.
  const from = Math.ceil(Date.now() / 1000) * 1000 + 2000;
  const until = from + seconds * 1000;
  const lateness: number[] = [];
  const fire = () => {
    const now = Date.now();
    if (now < from - 100 || now >= until - 100) return;
    // The second this fire is for: the one just begun (an early wake of up to 100 ms counts negative).
    const slot = Math.round((now - 400) / 1000) * 1000;
    lateness.push(now - slot);
  };
  const stops: (() => unknown)[] = [];
  for (let i = 0; i < jobs; i++) {
    if (library === 'node-cron') {
      const task = nodeCron.schedule('* * * * * *', fire);
      stops.push(() => task.stop());
    } else {
      const job = new Cron('* * * * * *', fire);
      stops.push(() => job.stop());
    }
  }
  await new Promise((resolve) => setTimeout(resolve, from - 100 - Date.now()));
  const cpu = process.cpuUsage();
  const began = performance.now();
  await new Promise((resolve) => setTimeout(resolve, until - 100 - Date.now()));
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - began;
  for (const stop of stops) stop();
  const sorted = lateness.sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
  const timing: Timing = {
    fires: sorted.length,
    expected: jobs * seconds,
    p50: at(0.5),
    p99: at(0.99),
    max: sorted.at(-1) ?? Number.NaN,
    corePercent: (100 * (used.user + used.system)) / 1000 / wall,
  };
  console.log(JSON.stringify(timing));
  process.exit(0);
}

function measureTimers(library: Library): Promise<Timing> {
  const child = spawn(
    process.execPath,
    ['bench/cron-libs.ts', 'timers', library, String(JOBS), String(SECONDS)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  return new Promise((resolve, reject) =>
    child.once('close', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`${library} exited ${code}: ${out}`));
      else resolve(JSON.parse(line) as Timing);
    }),
  );
}

interface Case {
  id: string;
  expression: string;
  timezone: string;
  from: string;
  /** The next fires, or 'refused' (an invalid expression, or one that never fires). */
  expected: string[] | 'refused';
}

function corpus(): Case[] {
  const read = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
  const rules = read('../test/fixtures/cron-rules.json') as {
    rule: string;
    expression: string;
    timezone: string;
    from: string;
    expected: string[];
  }[];
  const examples = read('../test/unit/triggers/cron-examples.json') as {
    id: string;
    expr: string;
    tz: string;
    from: string;
    expected_next: string[] | 'invalid' | 'never';
  }[];
  const changes = read('../test/fixtures/dst-changes.json') as {
    zone: string;
    gap: { expression: string; from: string; jump: string; nextDay: string };
    repeat: { expression: string; from: string; first: string };
  }[];
  return [
    ...rules.map((c, i) => ({ ...c, id: `rules ${i + 1}: ${c.rule}` })),
    ...examples.map((e) => ({
      id: `example ${e.id}`,
      expression: e.expr,
      timezone: e.tz,
      from: e.from,
      expected: Array.isArray(e.expected_next) ? e.expected_next : ('refused' as const),
    })),
    // cronie's rule: a fixed time the jump skips runs at the jump; one that happens twice runs once, first.
    ...changes.flatMap((c) => [
      {
        id: `dst ${c.zone} gap`,
        expression: c.gap.expression,
        timezone: c.zone,
        from: c.gap.from,
        expected: [c.gap.jump, c.gap.nextDay],
      },
      {
        id: `dst ${c.zone} repeat`,
        expression: c.repeat.expression,
        timezone: c.zone,
        from: c.repeat.from,
        expected: [c.repeat.first],
      },
    ]),
  ];
}

type Answer = number[] | 'refused';
const CALCULATORS: Record<string, (c: Case, count: number) => Answer> = {
  'node-cron': (c, count) => {
    let task: ReturnType<typeof nodeCron.createTask>;
    try {
      task = nodeCron.createTask(c.expression, () => {}, { timezone: c.timezone });
    } catch {
      return 'refused';
    }
    // node-cron counts from the current time only: `new Date()` reads the case's instant meanwhile.
    const runs = atInstant(Date.parse(c.from), () => task.getNextRuns(count));
    void task.destroy();
    return runs.map((d) => d.getTime());
  },
  'croner alone': (c, count) => {
    let cron: Cron;
    try {
      cron = new Cron(c.expression, { timezone: c.timezone, paused: true });
    } catch {
      return 'refused';
    }
    const runs = cron.nextRuns(count, new Date(Date.parse(c.from)));
    return runs.length === 0 ? 'refused' : runs.map((d) => d.getTime());
  },
  'croner + Kairos grammar': (c, count) => {
    const now = Date.parse(c.from);
    let trigger: ReturnType<typeof compileTrigger>;
    try {
      trigger = compileTrigger(
        { cron: { expression: c.expression, timezone: c.timezone } },
        { now, defaultTimezone: 'UTC' },
      );
    } catch {
      return 'refused';
    }
    return upcomingFireTimes(trigger, now, count);
  },
};

function atInstant<T>(instant: number, run: () => T): T {
  const RealDate = globalThis.Date;
  class FixedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(instant);
      else super(...(args as [number]));
    }
    static override now(): number {
      return instant;
    }
  }
  globalThis.Date = FixedDate as DateConstructor;
  try {
    return run();
  } finally {
    globalThis.Date = RealDate;
  }
}

function right(c: Case, answer: Answer): boolean {
  if (c.expected === 'refused' || answer === 'refused') return c.expected === answer;
  const expected = c.expected.map((iso) => Date.parse(iso));
  return answer.length === expected.length && answer.every((ms, i) => ms === expected[i]);
}

const cases = corpus();
const scores: Record<string, { right: number; wrong: string[] }> = {};
for (const [name, calculate] of Object.entries(CALCULATORS)) {
  const score = { right: 0, wrong: [] as string[] };
  for (const c of cases) {
    let answer: Answer | 'threw';
    try {
      answer = calculate(c, c.expected === 'refused' ? 1 : c.expected.length);
    } catch {
      answer = 'threw';
    }
    if (answer !== 'threw' && right(c, answer)) score.right++;
    else score.wrong.push(c.id);
  }
  scores[name] = score;
}
console.log(`cron/DST corpus: ${cases.length} cases`);
printTable(
  ['library', 'right', 'of'],
  Object.entries(scores).map(([name, s]) => [name, String(s.right), String(cases.length)]),
);
for (const [name, s] of Object.entries(scores))
  if (s.wrong.length > 0)
    console.log(`  ${name} wrong: ${s.wrong.slice(0, 6).join('; ')}${s.wrong.length > 6 ? '; ...' : ''}`);

console.log(`\n${JOBS} jobs every second for ${SECONDS} s, one process per library`);
const timings: Partial<Record<Library, Timing>> = {};
for (const library of LIBRARIES) timings[library] = await measureTimers(library);
printTable(
  ['library', 'fires', 'p50 ms', 'p99 ms', 'max ms', '% of a core'],
  LIBRARIES.map((library) => {
    const t = timings[library] as Timing;
    return [
      library,
      `${t.fires}/${t.expected}`,
      t.p50.toFixed(0),
      t.p99.toFixed(0),
      t.max.toFixed(0),
      t.corePercent.toFixed(1),
    ];
  }),
);
console.log(`load average ${loadAverage()}`);
const corpusScore = (name: string) => `${scores[name]?.right ?? 0}/${cases.length}`;
const timed = (library: Library) => timings[library] as Timing;
const libraries = Object.keys(scores);
const kairosName =
  libraries.find((name) => name.toLowerCase().includes('kairos')) ?? libraries[libraries.length - 1]!;
const nodeCronName = libraries.find((name) => name.includes('node-cron')) ?? libraries[0]!;
compare('cron-libs', [
  {
    workload: `cron/DST corpus (${cases.length} cases)`,
    kairos: `${kairosName} ${corpusScore(kairosName)}`,
    peer: `${nodeCronName} ${corpusScore(nodeCronName)}`,
    ratio: '-',
    goal: 'all right',
    met: scores[kairosName]?.right === cases.length,
  },
  ...LIBRARIES.filter((library) => library !== LIBRARIES[0]).map((library) => ({
    workload: `${JOBS} jobs every second, p99 lateness / CPU`,
    kairos: `${library} ${timed(library).p99.toFixed(0)} ms / ${timed(library).corePercent.toFixed(1)} %`,
    peer: `${LIBRARIES[0]} ${timed(LIBRARIES[0]!).p99.toFixed(0)} ms / ${timed(LIBRARIES[0]!).corePercent.toFixed(1)} %`,
    ratio: times(timed(library).p99 / Math.max(1, timed(LIBRARIES[0]!).p99)),
    goal: '-',
    met: null,
  })),
]);
report('cron-libs', {
  jobs: JOBS,
  seconds: SECONDS,
  corpusCases: cases.length,
  right: Object.fromEntries(Object.entries(scores).map(([name, s]) => [name, s.right])),
  timers: timings,
});
process.exit(0);
