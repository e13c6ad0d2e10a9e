/**
 * The webhook target of bench/http-fires.ts, in its own process so its CPU is not the scheduler's:
 * answers 200 at once and records (job, scheduled time, arrival) from Kairos's headers.
 * GET /stats returns them as JSON arrays and forgets them. Prints its port on stdout.
 */
import { createServer } from 'node:http';

let fires: [string, number, number][] = [];
const server = createServer((request, response) => {
  const at = Date.now();
  if (request.method === 'GET' && request.url === '/stats') {
    const body = JSON.stringify(fires);
    fires = [];
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
    return;
  }
  request.resume();
  request.on('end', () => {
    fires.push([
      String(request.headers['x-kairos-job-id']),
      Date.parse(String(request.headers['x-kairos-scheduled-for'])),
      at,
    ]);
    response.writeHead(200).end('ok');
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  console.log(String((server.address() as { port: number }).port));
});
