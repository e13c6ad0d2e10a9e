/**
 * The SSE response of a shared subscription, written from pre-serialized frames: each event is
 * serialized and encoded once for all of its clients, and a client's stream takes every frame
 * queued since its last read in one chunk (one socket write however far behind it is).
 * The protocol is Yoga's "distinct connections" mode, byte for byte: a `:` ping first and every
 * 12 s, `event: next` per result, `event: complete` at the end.
 */
import type { ExecutionResult, GraphQLError } from 'graphql';
import type { FetchAPI } from 'graphql-yoga';
import type { BoundedQueue } from './bounded-queue.ts';
import { delivery } from './delivery.ts';

const encoder = new TextEncoder();
const PING = encoder.encode(':\n\n');
const COMPLETE = encoder.encode('event: complete\ndata:\n\n');
export const PING_INTERVAL_MS = 12_000;

const HEADERS = {
  'Content-Type': 'text/event-stream',
  Connection: 'keep-alive',
  'Cache-Control': 'no-cache',
  'Content-Encoding': 'none',
};

/** Frames by result: a shared result is serialized by its first client and reused by the others. */
const frames = new WeakMap<object, Uint8Array>();

/** As Yoga's serializer: errors without their `http` and `unexpected` extensions. */
function wireResult(result: ExecutionResult): unknown {
  if (!result.errors?.length && !result.extensions?.http) return result;
  const wire: Record<string, unknown> = { ...result };
  if (result.errors) wire.errors = result.errors.map(wireError);
  if (result.extensions) {
    const { http: _http, ...extensions } = result.extensions;
    wire.extensions = Object.keys(extensions).length ? extensions : undefined;
  }
  return wire;
}

function wireError(error: GraphQLError): unknown {
  const json = typeof error.toJSON === 'function' ? error.toJSON() : { message: error.message };
  if (!json.extensions) return json;
  const { http: _http, unexpected: _unexpected, ...extensions } = json.extensions as Record<string, unknown>;
  return { ...json, extensions: Object.keys(extensions).length ? extensions : undefined };
}

/** A result as JSON, as Yoga serializes it (no `http` or `unexpected` extensions). */
export function serializeResult(result: ExecutionResult): string {
  return JSON.stringify(wireResult(result));
}

/** `event: next` with the result, encoded; the same bytes for every client of a shared result. */
export function nextFrame(result: ExecutionResult): Uint8Array {
  let frame = frames.get(result);
  if (!frame) {
    frame = encoder.encode(`event: next\ndata: ${JSON.stringify(wireResult(result))}\n\n`);
    frames.set(result, frame);
  }
  return frame;
}

/**
 * The chunk of one flush. Clients of one shared subscription that keep up take the same run of
 * frames, so the chunk is joined once for all of them: the last join starting at a frame is kept.
 */
const joined = new WeakMap<Uint8Array, { count: number; last: Uint8Array; chunk: Uint8Array }>();

function join(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const first = chunks[0] as Uint8Array;
  const last = chunks[chunks.length - 1] as Uint8Array;
  const cached = joined.get(first);
  if (cached && cached.count === chunks.length && cached.last === last) return cached.chunk;
  let size = 0;
  for (const chunk of chunks) size += chunk.byteLength;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  joined.set(first, { count: chunks.length, last, chunk: out });
  return out;
}

interface Controller {
  enqueue(chunk: Uint8Array): void;
  close(): void;
}

/**
 * Bytes a stream writes on its own after its consumer last asked for more. Writing when results
 * arrive, not at the consumer's next read, puts every event since the last write in one socket
 * write and costs no read cycle per event; the budget bounds what a consumer that stopped reading
 * can be handed (overshot by at most one write) before its queue, then the cut-off, take over.
 */
export const WRITE_AHEAD_BYTES = 64 * 1024;

/**
 * A streaming response over one client's queue of shared results. Each write takes everything
 * queued; while the consumer keeps reading, a push is written in the next delivery slice
 * (delivery.ts), never at push time: the pump that pushes to hundreds of clients stays cheap.
 * `overflowResult` is the last result of a client that fell too far behind.
 *
 * Writes go through the controller `start` received, at any time: a web ReadableStream allows it,
 * and @whatwg-node's Node ponyfill (what Yoga uses on Node) pushes those straight to its Readable.
 * `pull` stays pending while the budget lasts, so the stream does not run a read cycle (promises,
 * a controller) per event and client; it settles when the budget is spent, and the consumer's
 * next read grants a new one.
 */
export function sseResponse(
  queue: BoundedQueue<ExecutionResult>,
  fetchAPI: FetchAPI,
  overflowResult: () => ExecutionResult,
): Response {
  let writer: Controller | null = null;
  let ping: ReturnType<typeof setInterval> | undefined;
  let done = false;
  let credit = 0;
  /** Settles the pending pull: the consumer may ask for more again. */
  let release: (() => void) | null = null;

  const settle = (): void => {
    const resolve = release;
    release = null;
    resolve?.();
  };

  const stop = (): void => {
    done = true;
    clearInterval(ping);
    settle();
  };

  /** Writes whatever is queued, and the end once the queue is over. */
  const frames: Uint8Array[] = []; // reused: a flush allocates nothing but its chunk
  const flush = (): void => {
    for (let result = queue.take(); result !== undefined; result = queue.take())
      frames.push(nextFrame(result));
    const status = queue.status;
    if ((status === 'open' && frames.length === 0) || writer === null) return;
    try {
      if (status !== 'open') {
        // Cut off (its unread results were dropped) or ended: the last words, then the end.
        if (status === 'overflowed') frames.push(nextFrame(overflowResult()));
        frames.push(COMPLETE);
        stop();
      }
      const chunk = join(frames);
      frames.length = 0;
      credit -= chunk.byteLength;
      writer.enqueue(chunk);
      if (done) writer.close();
    } catch {
      // The stream was cancelled under us (client gone): its cancel() releases the queue.
      frames.length = 0;
      stop();
    }
  };

  /**
   * Writes are delivery work: queued in the process's delivery scheduler at the first push, run in
   * a bounded slice (delivery.ts), with everything queued by then in one chunk.
   */
  let scheduled = false;
  const write = (): void => {
    scheduled = false;
    if (done) return;
    // With the budget spent, pushes wait for the consumer's next read; the end does not.
    if (credit > 0 || queue.status !== 'open') flush();
    if (done) return;
    if (credit <= 0) settle();
    queue.whenReady(onPush);
  };
  const schedule = (): void => {
    if (scheduled || done) return;
    scheduled = true;
    delivery.schedule(write);
  };
  const onPush = (): void => {
    if (credit > 0 || queue.status !== 'open') {
      schedule();
      return;
    }
    settle();
    queue.whenReady(onPush);
  };

  const stream = new fetchAPI.ReadableStream<Uint8Array>({
    start(controller) {
      writer = controller;
      // Some clients wait for a first byte before they report the response.
      controller.enqueue(PING);
      ping = setInterval(() => {
        if (!done) controller.enqueue(PING);
      }, PING_INTERVAL_MS);
      // A timer must never keep a process alive on its own.
      (ping as { unref?: () => void }).unref?.();
    },
    pull() {
      if (done) return;
      credit = WRITE_AHEAD_BYTES;
      const pending = new Promise<void>((resolve) => {
        release = resolve;
      });
      schedule();
      return pending;
    },
    cancel() {
      stop();
      void queue.return();
    },
  });
  return new fetchAPI.Response(stream, { status: 200, headers: HEADERS });
}
