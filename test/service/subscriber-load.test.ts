/**
 * Event delivery never starves queries (issue 8): 200 SSE subscribers, each an EventSource-style
 * GET with a minted subscription token, in a process of their own over a real port, receive
 * events published at 2,000 events/s for 4 s, while an operator (this process) sends a query or a
 * mutation every 20 ms and times each answer. Before delivery was bounded per loop turn
 * (src/graphql/delivery.ts) the operator got 3 answers in those 4 s, the slowest after 4.1 s
 * (250 readers at ~1,900 events/s once pushed it to 19.7 s); now p99 is about 20 ms here.
 *
 * The bounds asserted are loose enough for a busy 2-core machine running other suites meanwhile;
 * the 100 ms goal, with 250 subscribers for 10 s, is what `npx tsx bench/subscriber-load.ts`
 * prints.
 */
import { expect, test } from 'vitest';
import { runSubscriberLoad } from '../support/subscriber-load.ts';

const CLIENTS = 200;
const RATE = 2_000;
const SECONDS = 4;
/** The operator's answers while the subscribers are fed; the goal is 100 ms. */
const P99_BOUND_MS = 250;
const MAX_BOUND_MS = 1_000;

test(`${CLIENTS} SSE subscribers at ${RATE} events/s: every one is fed, and the operator's answers stay fast`, async () => {
  const result = await runSubscriberLoad({
    clients: CLIENTS,
    rate: RATE,
    seconds: SECONDS,
    queryEveryMs: 20,
  });
  const { latencies, statuses, ...summary } = result;
  console.log('subscriber load:', JSON.stringify({ ...summary, answers: latencies.length }));
  const why = JSON.stringify(summary);

  expect(statuses.filter((s) => s === 200)).toHaveLength(CLIENTS);
  expect(result.published).toBe(RATE * SECONDS);
  // Every subscriber got every event: none was cut off, none fell behind for good.
  expect(result.ended, why).toBe(0);
  expect(result.slowConsumer, why).toBe(0);
  expect(result.minReceived, why).toBe(result.published);
  // The operator was answered all along, and fast.
  expect(latencies.length, why).toBeGreaterThan(SECONDS * 10);
  expect(result.p99, why).toBeLessThan(P99_BOUND_MS);
  expect(result.max, why).toBeLessThan(MAX_BOUND_MS);
}, 120_000);
