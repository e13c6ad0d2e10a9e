/**
 * The W3C trace context of one execution, computed from its id alone. The span the tracer exports
 * (src/metrics/tracing.ts) and the `traceparent` the http task sends both derive it here, so they
 * agree without the runner or the TaskContext carrying anything: each attempt is its own row with
 * its own UUIDv7 id, and those 128 bits already are a valid, unique trace id.
 */

export interface TraceIds {
  /** 32 lower-case hex digits. */
  traceId: string;
  /** 16 lower-case hex digits. */
  spanId: string;
}

const UUID_HEX = /^[0-9a-f]{32}$/;
const ZERO = /^0+$/;

/**
 * The trace id is the id's 128 bits; the span id its last 64 (UUIDv7's random bits). Null for an
 * id that is not a UUID (an embedder's own ids): such a run gets random ids and no traceparent.
 */
export function executionTraceIds(executionId: string): TraceIds | null {
  const hex = executionId.replaceAll('-', '').toLowerCase();
  if (!UUID_HEX.test(hex)) return null;
  const ids = { traceId: hex, spanId: hex.slice(16) };
  // All-zero ids are invalid in W3C trace context (a nil UUID, or one ending in zeros).
  return ZERO.test(ids.traceId) || ZERO.test(ids.spanId) ? null : ids;
}

/** `00-<trace id>-<span id>-01` (version 00, sampled: every execution's span is exported). */
export function traceparentOf(executionId: string): string | null {
  const ids = executionTraceIds(executionId);
  return ids === null ? null : `00-${ids.traceId}-${ids.spanId}-01`;
}
