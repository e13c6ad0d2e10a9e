/**
 * A Kairos GraphQL app on memory adapters, served over node:http as src/runtime/node.ts serves it,
 * in a process of its own: the load test and bench (test/service/subscriber-load.test.ts,
 * bench/subscriber-load.ts) time queries from outside, so what they measure is this process's
 * event loop alone, and publish events on its bus through IPC.
 *
 *   fork(this, [], { execArgv: ['--import', 'tsx'] })   // argv[2]: JSON of createTestApp options
 *
 * Messages: -> { type: 'listening', port } at start;
 *   { type: 'subscribers' } -> { type: 'subscribers', count }
 *   { type: 'publish', rate, seconds } -> { type: 'published', count, seconds, cpuPercent }
 *   { type: 'close' } -> exits.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServerAdapter } from '@whatwg-node/server';
import type { Execution } from '../../src/core/execution.ts';
import { createTestApp, type HarnessOptions, YEARLY } from '../graphql/harness.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as HarnessOptions;
const app = createTestApp(options);
await app.service.addJob({ id: 'load', task: 'test', trigger: YEARLY });
const server = createServer(createServerAdapter((request: Request) => app.yoga.fetch(request)));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

function execution(sequence: number, t: number): Execution {
  return {
    id: `exec-${sequence}`,
    jobId: 'load',
    jobName: 'load',
    task: 'test',
    status: 'success',
    triggerKind: 'scheduled',
    scheduledFor: t,
    startedAt: t,
    finishedAt: t,
    durationMs: 1,
    attempt: 1,
    instance: 'load',
    owner: null,
    dueAt: null,
    coversUntil: null,
    coveredFires: 1,
    error: null,
    result: null,
  };
}

/** Publishes `rate` execution events per second for `seconds`, on a 1 ms timer, catching up when late. */
function publish(
  rate: number,
  seconds: number,
): Promise<{ count: number; seconds: number; cpuPercent: number }> {
  const total = Math.round(rate * seconds);
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  let count = 0;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
      for (; count < due; count++) {
        const now = Date.now();
        app.bus.publish({
          stream: 'execution',
          type: 'succeeded',
          at: now,
          execution: execution(count, now),
        });
      }
      if (count < total) return;
      clearInterval(timer);
      const elapsed = (performance.now() - start) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      resolve({
        count,
        seconds: elapsed,
        cpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100),
      });
    }, 1);
  });
}

process.on('message', (message: { type: string; rate?: number; seconds?: number }) => {
  if (message.type === 'subscribers') {
    process.send?.({ type: 'subscribers', count: app.yoga.subscriptions.size });
  } else if (message.type === 'publish') {
    void publish(message.rate ?? 1_000, message.seconds ?? 1).then((result) =>
      process.send?.({ type: 'published', ...result }),
    );
  } else if (message.type === 'close') {
    server.closeAllConnections();
    server.close();
    void app[Symbol.asyncDispose]().finally(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'listening', port: (server.address() as AddressInfo).port });
