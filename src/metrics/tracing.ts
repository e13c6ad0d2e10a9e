/**
 * OpenTelemetry traces (issue 10): a span per execution this replica ran, exported over OTLP/HTTP
 * (JSON) to OTEL_EXPORTER_OTLP_ENDPOINT. The app imports this module dynamically, and only when
 * that variable is set, so a default start never loads the SDK.
 *
 * Spans are fed by the scheduler's execution events, like the metrics (registry.ts), and made
 * whole at the final event: the row then holds both ends (startedAt, finishedAt), so nothing is
 * kept open between a start and a result that may never come here (another replica may settle it).
 * Their ids come from the execution id (core/trace-context.ts), the same ones the http task puts
 * in its `traceparent`, so a webhook's server span joins the execution's trace.
 */
import { type Attributes, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type IdGenerator,
  RandomIdGenerator,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { SchedulerEvents } from '../core/events.ts';
import type { Execution } from '../core/execution.ts';
import { executionTraceIds, type TraceIds } from '../core/trace-context.ts';

export interface TracingOptions {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL; spans go to `<endpoint>/v1/traces`. */
  endpoint: string;
  events: SchedulerEvents;
  instance: string;
  version: string;
}

export interface Tracing {
  /** Export the spans still buffered (tests; shutdown does it too). */
  flush(): Promise<void>;
  /** Stop listening, export what is buffered and close the exporter. */
  shutdown(): Promise<void>;
}

/** The final events of a row that may have run (missed and skipped rows never started). */
const ENDED = new Set(['succeeded', 'failed', 'timed_out', 'abandoned', 'cancelled']);

/**
 * The SDK asks its IdGenerator for a span's ids inside startSpan, synchronously: `next` is set
 * just before that call and cleared after, so the span gets the execution's ids. Random otherwise.
 */
class ExecutionIds implements IdGenerator {
  next: TraceIds | null = null;
  private readonly random = new RandomIdGenerator();
  generateTraceId(): string {
    return this.next?.traceId ?? this.random.generateTraceId();
  }
  generateSpanId(): string {
    return this.next?.spanId ?? this.random.generateSpanId();
  }
}

export function startTracing(options: TracingOptions): Tracing {
  const ids = new ExecutionIds();
  const exporter = new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/+$/, '')}/v1/traces` });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: 'kairos',
      [ATTR_SERVICE_VERSION]: options.version,
      'service.instance.id': options.instance,
    }),
    idGenerator: ids,
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  // Not registered as the global provider: several apps in one process (tests) keep their own.
  const tracer = provider.getTracer('kairos', options.version);

  const record = (execution: Execution) => {
    ids.next = executionTraceIds(execution.id);
    const span = tracer.startSpan(`run ${execution.jobId}`, {
      kind: SpanKind.INTERNAL,
      startTime: execution.startedAt ?? undefined,
      attributes: attributesOf(execution),
    });
    ids.next = null;
    span.setStatus(
      execution.status === 'success'
        ? { code: SpanStatusCode.OK }
        : { code: SpanStatusCode.ERROR, message: execution.error?.message ?? execution.status },
    );
    span.end(execution.finishedAt ?? undefined);
  };
  const unsubscribe = options.events.on('execution', ({ type, execution }) => {
    if (ENDED.has(type) && execution.startedAt !== null) record(execution);
  });

  return {
    flush: () => provider.forceFlush(),
    async shutdown() {
      unsubscribe();
      await provider.shutdown();
    },
  };
}

function attributesOf(execution: Execution): Attributes {
  return {
    'kairos.job.id': execution.jobId,
    'kairos.job.name': execution.jobName,
    'kairos.task': execution.task,
    'kairos.execution.id': execution.id,
    'kairos.execution.scheduled_for': new Date(execution.scheduledFor).toISOString(),
    'kairos.execution.attempt': execution.attempt,
    'kairos.execution.status': execution.status,
    'kairos.execution.trigger': execution.triggerKind,
  };
}
