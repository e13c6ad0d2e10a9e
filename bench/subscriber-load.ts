/**
 * Query latency while many SSE subscribers are fed (issue 8's figure: 250 readers at ~1,900
 * events/s pushed it to 19.7 s; the goal is answers within 100 ms). Runs the server, the
 * subscribers and the operator in three processes (test/support/subscriber-load.ts, the same run
 * test/service/subscriber-load.test.ts asserts on with looser bounds), then prints the operator's
 * latency p50/p99/max next to its idle p50, and whether every subscriber got every event.
 *
 *   npx tsx bench/subscriber-load.ts [clients=250] [rate=1900] [seconds=10] [--every=20] [--rounds=1]
 *
 * BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the server there. Not a test: figures vary with
 * the machine and with what else runs on it.
 */
import { runSubscriberLoad } from '../test/support/subscriber-load.ts';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flag = (name: string, fallback: number) => {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.slice(name.length + 3)) : fallback;
};
const clients = Number(positional[0] ?? 250);
const rate = Number(positional[1] ?? 1_900);
const seconds = Number(positional[2] ?? 10);
const queryEveryMs = flag('every', 20);
const rounds = flag('rounds', 1);
const profileDir = process.env.BENCH_CPU_PROF;
const GOAL_MS = 100;

console.log(
  `${clients} SSE subscribers, ${rate} events/s for ${seconds} s, a query or mutation every ${queryEveryMs} ms`,
);
for (let round = 1; round <= rounds; round++) {
  const result = await runSubscriberLoad({
    clients,
    rate,
    seconds,
    queryEveryMs,
    serverExecArgv: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  });
  const opened = result.statuses.filter((s) => s === 200).length;
  const fed = result.minReceived === result.published && result.ended === 0;
  console.log(
    [
      `round ${round}:`,
      `operator p50 ${result.p50} ms, p99 ${result.p99} ms, max ${result.max} ms (idle p50 ${result.idleP50} ms, ${result.latencies.length} answers)`,
      `goal p99 < ${GOAL_MS} ms: ${result.p99 < GOAL_MS ? 'met' : 'NOT met'}`,
      `delivery: ${opened}/${clients} streams, ${result.published} events at ${result.publishedPerSecond}/s, ` +
        `fewest received ${result.minReceived}${fed ? ' (every event to every subscriber)' : ''}, ` +
        `${result.slowConsumer} cut off, server CPU ${result.serverCpuPercent} % of a core`,
    ].join('\n  '),
  );
}
