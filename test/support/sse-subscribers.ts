/**
 * Many SSE subscribers in a process of their own (forked by test/service/subscriber-load.test.ts
 * and bench/subscriber-load.ts), so reading them costs the server's event loop nothing. Each is a
 * raw TCP socket with a hand-written GET request (what an EventSource sends) that only counts the
 * `event: next` frames it receives: no parsing, so a client never lags because of its own work.
 *
 *   fork(this, [port, count, path], { execArgv: ['--import', 'tsx'] })
 *
 * Messages to the parent: { type: 'opened', statuses } once every response head has arrived (or
 * the socket closed), then { type: 'report', received, ended, slowConsumer } for each 'report'.
 */
import { connect, type Socket } from 'node:net';

const [portArg, countArg, path = '/graphql'] = process.argv.slice(2);
const port = Number(portArg);
const count = Number(countArg);
const NEXT = Buffer.from('event: next');
const SLOW = Buffer.from('SLOW_CONSUMER');

interface Subscriber {
  socket: Socket;
  status: number | null;
  received: number;
  ended: boolean;
  slowConsumer: boolean;
  /** The end of the previous chunk, so a frame split across two reads is still counted once. */
  tail: Buffer;
}

function occurrences(haystack: Buffer, needle: Buffer): number {
  let n = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) n++;
  return n;
}

function open(): Promise<Subscriber> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const subscriber: Subscriber = {
      socket,
      status: null,
      received: 0,
      ended: false,
      slowConsumer: false,
      tail: Buffer.alloc(0),
    };
    let head = '';
    socket.on('connect', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => {
      if (subscriber.status === null) {
        head += chunk.toString('latin1');
        const match = /^HTTP\/1\.1 (\d{3})/.exec(head);
        if (match && head.includes('\r\n\r\n')) {
          subscriber.status = Number(match[1]);
          resolve(subscriber);
        }
      }
      const data = subscriber.tail.length ? Buffer.concat([subscriber.tail, chunk]) : chunk;
      subscriber.received += occurrences(data, NEXT);
      if (!subscriber.slowConsumer && data.includes(SLOW)) subscriber.slowConsumer = true;
      // Keep fewer bytes than a whole marker, so nothing is counted twice.
      subscriber.tail = Buffer.from(data.subarray(Math.max(0, data.length - (NEXT.length - 1))));
    });
    const end = (): void => {
      subscriber.ended = true;
      resolve(subscriber);
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
  });
}

const subscribers: Subscriber[] = [];
// 20 at a time, so the connects never overflow the server's listen backlog.
for (let i = 0; i < count; i += 20) {
  subscribers.push(...(await Promise.all(Array.from({ length: Math.min(20, count - i) }, open))));
}
process.send?.({ type: 'opened', statuses: subscribers.map((s) => s.status) });

process.on('message', (message: { type: string }) => {
  if (message.type === 'report') {
    process.send?.({
      type: 'report',
      received: subscribers.map((s) => s.received),
      ended: subscribers.filter((s) => s.ended).length,
      slowConsumer: subscribers.filter((s) => s.slowConsumer).length,
    });
  } else if (message.type === 'close') {
    for (const s of subscribers) s.socket.destroy();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
