/**
 * Signals as a terminal and an orchestrator send them to `npm start` (issue 9): Ctrl-C reaches the
 * whole process group (npm, its shell and the service), and npm forwards its copy too, so the
 * service sees SIGINT twice; SIGTERM sent to the npm process alone must stop the service as well.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, type LogLine, until } from './service-process.ts';

interface NpmService {
  child: ChildProcess;
  lines: LogLine[];
  url: string;
  /** npm's exit: its code, or the signal npm re-raises on itself after its child ended. */
  exit: Promise<number | NodeJS.Signals | null>;
  stderr(): string;
}

/** `npm start` in its own process group, as a terminal runs it. */
async function npmStart(env: Record<string, string>): Promise<NpmService> {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: process.cwd(),
    env: { ...process.env, PORT: '0', KAIROS_LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const exit = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  const lines: LogLine[] = [];
  let buffer = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        // npm's own output
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const line of chunk.toString().split('\n')) {
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        // not a log line
      }
    }
  });
  await until(
    'npm start to print its ready line',
    () => {
      if (child.exitCode !== null) throw new Error(`npm start exited early:\n${stderr}`);
      return lines.some((l) => l.msg.startsWith('Kairos ready at '));
    },
    90_000,
  );
  const url = lines.find((l) => l.msg.startsWith('Kairos ready at '))?.url as string;
  return { child, lines, url, exit, stderr: () => stderr };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(child: ChildProcess | undefined): void {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

describe('npm start and signals', () => {
  let dataDir: string;
  let hook: Server;
  let hookUrl = '';
  let hits = 0;
  const services: NpmService[] = [];

  beforeAll(async () => {
    // Answers after 1.5 s: an execution is running when the signal arrives.
    hook = createServer((req, res) => {
      hits++;
      req.resume();
      setTimeout(() => res.writeHead(200).end('ok'), 1_500);
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/slow`;
    dataDir = await mkdtemp(join(tmpdir(), 'kairos-signals-'));
  });

  afterAll(async () => {
    for (const service of services) killGroup(service.child);
    await new Promise((resolve) => hook?.close(resolve));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('Ctrl-C (SIGINT to the process group) stops gracefully and records the running execution', async () => {
    const data = join(dataDir, 'int');
    const service = await npmStart({ KAIROS_DATA_DIR: data, KAIROS_INSTANCE: 'signals-int' });
    services.push(service);
    const added = await graphql(
      service.url,
      `mutation { addJob(input: { id: "slow", task: "http", args: { url: "${hookUrl}" },
        trigger: { date: { runDate: "2099-01-01T00:00:00Z" } } }) { id } }`,
    );
    expect(added.errors).toBeUndefined();
    const before = hits;
    const run = await graphql(service.url, 'mutation { runJobNow(id: "slow") { id } }');
    expect(run.errors).toBeUndefined();
    await until('the execution to start', () => hits > before);

    process.kill(-(service.child.pid as number), 'SIGINT');
    expect(await service.exit).toBe(0);
    const messages = service.lines.map((l) => l.msg);
    expect(messages).toEqual(expect.arrayContaining(['stopping', 'stopped']));
    expect(messages).not.toContain('SIGINT again: exiting without waiting');

    const db = new PGlite(data);
    try {
      const rows = await db.query<{ status: string }>(
        "select status from job_executions where job_id = 'slow'",
      );
      expect(rows.rows.map((r) => r.status)).toEqual(['success']);
    } finally {
      await db.close();
    }
  }, 120_000);

  it('SIGTERM to the npm process alone stops the service too', async () => {
    const service = await npmStart({
      KAIROS_DATA_DIR: join(dataDir, 'term'),
      KAIROS_INSTANCE: 'signals-term',
    });
    services.push(service);
    service.child.kill('SIGTERM');
    // npm waits for its child, then re-raises the signal on itself; the service logs a clean stop.
    expect([0, 'SIGTERM']).toContain(await service.exit);
    expect(service.lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['stopping', 'stopped']));
    // No orphan: nothing is left in the group, and the URL no longer answers.
    await until('the process group to be empty', () => !alive(-(service.child.pid as number)), 15_000);
    await expect(fetch(service.url.replace('/graphql', '/healthz'))).rejects.toThrow();
  }, 120_000);
});
