/**
 * /metrics scraped after real fires (runJobNow and a scheduled interval), checked against the
 * history: every final row is one count of kairos_fires_total, every started one an observation of
 * the lateness histogram, every run with a duration one of the duration histogram.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { Execution } from '../../src/core/execution.ts';
import { createLogger } from '../../src/logger.ts';
import { createBuiltinRegistry } from '../../src/tasks/registry.ts';

const quiet = createLogger({ level: 'silent' });
const READ = 'read-token-0123456789';

function get(app: App, path: string, headers: Record<string, string> = {}, host = '127.0.0.1:4000') {
  return app.fetch(new Request(`http://${host}${path}`, { headers }));
}

/** `name{labels} value` lines as a map from `name{labels}` to the value. */
async function scrape(app: App, headers: Record<string, string> = {}): Promise<Map<string, number>> {
  const response = await get(app, '/metrics', headers);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

async function allExecutions(app: App): Promise<Execution[]> {
  return (await app.service.listExecutions({ first: 500 })).items;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('/metrics after some fires', () => {
  let app: App;
  beforeAll(async () => {
    const tasks = createBuiltinRegistry();
    tasks.defineTask('ok', async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { done: true };
    });
    tasks.defineTask('boom', () => {
      throw new Error('boom');
    });
    app = await createApp(loadConfig({ DATABASE_URL: 'memory://' }), { logger: quiet, tasks });
    await app.start();
    await app.service.addJob({ id: 'ok', task: 'ok', trigger: { interval: { hours: 1 } } });
    await app.service.addJob({ id: 'boom', task: 'boom', trigger: { interval: { hours: 1 } } });
    await app.service.addJob({ id: 'tick', task: 'ok', trigger: { interval: { seconds: 1 } } });
    await app.service.addJob({ id: 'idle', task: 'ok', trigger: { interval: { hours: 1 } }, paused: true });
    for (let i = 0; i < 3; i++) await app.service.runJobNow('ok');
    for (let i = 0; i < 2; i++) await app.service.runJobNow('boom');
    await until('the runs to finish and the interval job to fire', async () => {
      const rows = await allExecutions(app);
      return (
        rows.filter((r) => r.jobId === 'tick' && r.status === 'success').length >= 1 &&
        rows.filter((r) => r.status === 'running' || r.status === 'pending').length === 0 &&
        rows.length >= 6
      );
    });
    await app.service.pauseJob('tick');
  }, 60_000);
  afterAll(() => app?.stop());

  it('counts fires by status and observes lateness and durations as the history has them', async () => {
    // The interval job was paused; wait for a run of it still going to be recorded.
    await until('no run in flight', async () => app.scheduler.runningExecutions === 0);
    const rows = (await allExecutions(app)).filter((r) => r.finishedAt !== null);
    const metrics = await scrape(app);
    const byStatus = (status: string) => rows.filter((r) => r.status === status);
    expect(metrics.get('kairos_fires_total{status="success"}')).toBe(byStatus('success').length);
    expect(metrics.get('kairos_fires_total{status="failed"}')).toBe(2);
    expect(metrics.get('kairos_fires_total{status="missed"}')).toBe(byStatus('missed').length);

    const started = rows.filter((r) => r.startedAt !== null);
    expect(metrics.get('kairos_fire_lateness_seconds_count')).toBe(started.length);
    // Every observation is in the +Inf bucket, and none of these fires was a minute late.
    expect(metrics.get('kairos_fire_lateness_seconds_bucket{le="+Inf"}')).toBe(started.length);
    expect(metrics.get('kairos_fire_lateness_seconds_bucket{le="60"}')).toBe(started.length);

    const succeeded = byStatus('success');
    expect(metrics.get('kairos_execution_duration_seconds_count{status="success"}')).toBe(succeeded.length);
    const seconds = succeeded.reduce((sum, r) => sum + (r.durationMs ?? 0), 0) / 1000;
    expect(metrics.get('kairos_execution_duration_seconds_sum{status="success"}')).toBeCloseTo(seconds, 6);
    // The `ok` task sleeps 20 ms: no successful run is in the 5 ms bucket.
    expect(metrics.get('kairos_execution_duration_seconds_bucket{le="0.005",status="success"}')).toBe(0);
    expect(metrics.get('kairos_execution_duration_seconds_count{status="failed"}')).toBe(2);
  });

  it('reports jobs by state, runs in flight, claim rounds, store errors and the process defaults', async () => {
    const metrics = await scrape(app);
    expect(metrics.get('kairos_jobs{state="active"}')).toBe(2);
    expect(metrics.get('kairos_jobs{state="paused"}')).toBe(2);
    expect(metrics.get('kairos_jobs{state="finished"}')).toBe(0);
    expect(metrics.get('kairos_executions_running')).toBe(0);
    expect(metrics.get('kairos_claim_round_seconds_count')).toBeGreaterThan(0);
    expect(metrics.get('kairos_store_errors_total{store="redis"}')).toBeUndefined();
    expect(metrics.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(metrics.get('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('counts an open SSE subscription under its transport', async () => {
    const response = await get(
      app,
      `/graphql?query=${encodeURIComponent('subscription { executionEvents { type } }')}`,
      { accept: 'text/event-stream' },
    );
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // the stream is open once its first bytes (a keep-alive) arrive
    expect((await scrape(app)).get('kairos_subscribers{transport="sse"}')).toBe(1);
    await reader.cancel();
    await until('the subscription to end', async () => {
      return (await scrape(app)).get('kairos_subscribers{transport="sse"}') === 0;
    });
  });
});

describe('/metrics access', () => {
  let app: App;
  beforeAll(async () => {
    app = await createApp(loadConfig({ DATABASE_URL: 'memory://', KAIROS_TOKENS: `read:${READ}` }), {
      logger: quiet,
    });
  }, 60_000);
  afterAll(() => app?.stop());

  it('needs a token when tokens are configured, and any scope may scrape', async () => {
    const anonymous = await get(app, '/metrics');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect((await get(app, '/metrics', { authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
    const metrics = await scrape(app, { authorization: `Bearer ${READ}` });
    expect(metrics.get('kairos_executions_running')).toBe(0);
  });

  it('is open to anonymous requests on loopback names only, like the API', async () => {
    const open = await createApp(loadConfig({ DATABASE_URL: 'memory://' }), { logger: quiet });
    try {
      expect((await get(open, '/metrics', {}, 'localhost:4000')).status).toBe(200);
      expect((await get(open, '/metrics', {}, 'attacker.example')).status).toBe(421);
    } finally {
      await open.stop();
    }
  });
});
