/**
 * The RuntimeHost of the runtimes that have Node's process and os modules (Node itself, and Bun):
 * only the server differs between them. Deno's entry has its own (its hostname() needs
 * --allow-sys, and Deno.exit and signal listeners are its own).
 */
import { hostname } from 'node:os';
import { runtimeVersion } from './detect.ts';
import { fsPlatform } from './fs-platform.ts';
import { type RuntimeHost, serve } from './serve.ts';

export function serveWithNodeProcess(listen: RuntimeHost['listen']): Promise<void> {
  return serve({
    runtime: runtimeVersion(),
    env: process.env,
    defaultInstance: `${hostname()}-${process.pid}`,
    platform: fsPlatform,
    listen,
    onSignal: (signal, handler) => {
      process.on(signal, handler);
    },
    exit: (code) => process.exit(code),
    printError: (message) => process.stderr.write(`${message}\n`),
  });
}
