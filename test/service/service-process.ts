/**
 * Starts the real service process (any runtime) and reads its JSON log lines, for the end-to-end
 * and runtime suites. Spawns the runtime binary itself, never through npm/npx, so the pid we
 * signal is the service's (killing an `npm exec` wrapper's pid leaves the real server running).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

export interface ServiceProcess {
  /** http://127.0.0.1:<port>/graphql from the ready line. */
  url: string;
  lines: LogLine[];
  stderr(): string;
  /** Send a signal and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Send a signal without waiting (SIGSTOP, SIGCONT, SIGKILL). */
  signal(signal: NodeJS.Signals): void;
  /** Resolves with the exit code (or null when killed by a signal). */
  exited: Promise<number | null>;
  /** Everything it wrote, stdout and stderr (warnings and errors go to stderr). */
  logText(): string;
  hasExited(): boolean;
  pid: number | undefined;
  /** Last resort for afterAll. */
  kill(): Promise<void>;
}

export type RuntimeName = 'node' | 'bun' | 'deno';

const NPM_NODE = 'node_modules/.bin/node';

/** The command `npm start` / `npm run start:bun` / `npm run start:deno` runs. */
export const RUNTIME_COMMANDS: Record<RuntimeName, string[]> = {
  // npm start: `exec node`, one process; Node 22.18+ strips the types itself (no tsx). Under npm
  // the node on PATH is node_modules/.bin/node (Node 24, the optional dependency) where it is
  // installed, so that is what a test runner on the machine's own Node (20, say) starts too.
  node: [existsSync(NPM_NODE) ? NPM_NODE : process.execPath, 'src/runtime/node.ts'],
  bun: ['node_modules/.bin/bun', 'src/runtime/bun.ts'],
  deno: [
    'node_modules/.bin/deno',
    'run',
    '--unstable-no-legacy-abort',
    '--allow-net',
    '--allow-env',
    '--allow-read',
    '--allow-write',
    'src/runtime/deno.ts',
  ],
};

export function runtimeInstalled(runtime: RuntimeName): boolean {
  return existsSync(RUNTIME_COMMANDS[runtime][0] as string);
}

/** Resolves when `predicate` holds (polled every 50 ms); rejects with `what` after `ms`. */
export async function until(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  ms = 15_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startService(
  runtime: RuntimeName,
  env: Record<string, string>,
  readyWithinMs = 90_000,
): Promise<ServiceProcess> {
  const [command, ...args] = RUNTIME_COMMANDS[runtime] as [string, ...string[]];
  const child: ChildProcess = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines: LogLine[] = [];
  let stderr = '';
  let stdout = '';
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    buffer += chunk.toString();
    for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        // not a log line (a runtime's own notice)
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const kill = async () => {
    if (exited()) return;
    child.kill('SIGKILL');
    await exit;
  };
  const ready = () => lines.find((l) => l.msg.startsWith('Kairos ready at '));
  try {
    await until(
      `${runtime} to print its ready line`,
      () => {
        if (exited()) throw new Error(`${runtime} exited before it was ready:\n${stderr}`);
        return ready() !== undefined;
      },
      readyWithinMs,
    );
  } catch (error) {
    await kill();
    throw new Error(`${(error as Error).message}\nstderr:\n${stderr}`);
  }
  return {
    url: ready()?.url as string,
    lines,
    stderr: () => stderr,
    stop: async (signal = 'SIGTERM') => {
      if (!exited()) child.kill(signal);
      return exit;
    },
    signal: (signal) => {
      if (!exited()) child.kill(signal);
    },
    exited: exit,
    logText: () => `${stdout}\n${stderr}`,
    hasExited: exited,
    pid: child.pid,
    kill,
  };
}

export interface GraphQLResult<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export async function graphql<T = Record<string, unknown>>(
  url: string,
  query: string,
  token: string | null = null,
): Promise<GraphQLResult<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as GraphQLResult<T>;
}

/** Runs the service expecting it to exit on its own (a settings error); returns code and output. */
export async function runToExit(
  runtime: RuntimeName,
  env: Record<string, string>,
  ms = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [command, ...args] = RUNTIME_COMMANDS[runtime] as [string, ...string[]];
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}
