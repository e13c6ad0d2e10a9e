/**
 * OpenTelemetry traces against a local HTTP server posing as the OTLP collector: a span per
 * execution with its job id, scheduled time, attempt and status, from the run's start to its
 * result; the http task's request carries a traceparent naming that span. Without
 * OTEL_EXPORTER_OTLP_ENDPOINT no traceparent is sent.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { Execution } from '../../src/core/execution.ts';
import { createLogger } from '../../src/logger.ts';

const quiet = createLogger({ level: 'silent' });

interface OtlpSpan {
  traceId: string;
  spanId: string;
  name: string;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  status: { code?: number };
  attributes: { key: string; value: Record<string, unknown> }[];
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** One OTLP attribute's value, whatever its type (stringValue, intValue, ...). */
function attribute(span: OtlpSpan, key: string): unknown {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value === undefined ? undefined : Object.values(value)[0];
}

async function runTo(app: Awaited<ReturnType<typeof createApp>>, jobId: string): Promise<Execution> {
  const started = await app.service.runJobNow(jobId);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const row = await app.service.findExecution(started.id);
    if (row && row.finishedAt !== null) return row;
    if (Date.now() > deadline) throw new Error(`${jobId} did not finish`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('OpenTelemetry traces', () => {
  const spans: OtlpSpan[] = [];
  /** The webhook's requests: path and traceparent. */
  const requests: { path: string; traceparent: string | undefined }[] = [];
  const collector = createServer(async (request, response) => {
    const body = await bodyOf(request);
    if (request.method === 'POST' && request.url === '/v1/traces') {
      for (const resource of JSON.parse(body).resourceSpans ?? [])
        for (const scope of resource.scopeSpans ?? []) spans.push(...scope.spans);
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  const webhook = createServer(async (request, response) => {
    await bodyOf(request);
    requests.push({
      path: request.url as string,
      traceparent: request.headers.traceparent as string | undefined,
    });
    response.writeHead(request.url === '/fail' ? 500 : 200).end();
  });
  let collectorUrl = '';
  let webhookUrl = '';

  beforeAll(async () => {
    [collectorUrl, webhookUrl] = await Promise.all([listen(collector), listen(webhook)]);
  });
  afterAll(() => {
    collector.close();
    webhook.close();
  });

  it('exports a span per execution, and the http task sends its traceparent', async () => {
    const config = loadConfig({ DATABASE_URL: 'memory://', OTEL_EXPORTER_OTLP_ENDPOINT: `${collectorUrl}/` });
    // The app's own tasks: it turns the http task's traceparent on from the setting.
    const app = await createApp(config, { logger: quiet });
    await app.start();
    const hourly = { interval: { hours: 1 } };
    await app.service.addJob({
      id: 'hook',
      task: 'http',
      args: { url: `${webhookUrl}/hook` },
      trigger: hourly,
    });
    const fail = { url: `${webhookUrl}/fail` };
    await app.service.addJob({
      id: 'fail',
      task: 'http',
      args: fail,
      trigger: hourly,
      retry: { attempts: 1 },
    });
    const rows = [await runTo(app, 'hook'), await runTo(app, 'fail')];
    await app.stop(); // exports what the batch processor holds

    expect(rows.map((r) => r.status)).toEqual(['success', 'failed']);
    expect(spans).toHaveLength(2);
    for (const row of rows) {
      const span = spans.find((s) => attribute(s, 'kairos.execution.id') === row.id) as OtlpSpan;
      expect(span).toBeDefined();
      expect(attribute(span, 'kairos.job.id')).toBe(row.jobId);
      expect(attribute(span, 'kairos.execution.scheduled_for')).toBe(
        new Date(row.scheduledFor).toISOString(),
      );
      expect(Number(attribute(span, 'kairos.execution.attempt'))).toBe(1);
      expect(attribute(span, 'kairos.execution.status')).toBe(row.status);
      expect(span.status.code).toBe(row.status === 'success' ? 1 : 2); // OK, ERROR
      expect(BigInt(span.startTimeUnixNano)).toBe(BigInt(row.startedAt as number) * 1_000_000n);
      expect(BigInt(span.endTimeUnixNano)).toBe(BigInt(row.finishedAt as number) * 1_000_000n);
      expect(span.traceId).toBe(row.id.replaceAll('-', ''));
      const request = requests.find((r) => r.path === `/${row.jobId}`);
      expect(request?.traceparent).toBe(`00-${span.traceId}-${span.spanId}-01`);
    }
    expect(requests).toHaveLength(2);
  });

  it('sends no traceparent when traces are off', async () => {
    requests.length = 0;
    const app = await createApp(loadConfig({ DATABASE_URL: 'memory://' }), { logger: quiet });
    await app.start();
    await app.service.addJob({
      id: 'hook',
      task: 'http',
      args: { url: `${webhookUrl}/hook` },
      trigger: { interval: { hours: 1 } },
    });
    expect((await runTo(app, 'hook')).status).toBe('success');
    await app.stop();
    expect(requests).toEqual([{ path: '/hook', traceparent: undefined }]);
  });
});
