/**
 * The monitor in a real browser (Debian's chromium driven by playwright-core) against the real
 * service process on a real port, with tokens configured: the admin token sees the seeded jobs
 * with their next runs, a live execution within 2 s of its fire, pauses a job with the button;
 * a read token sees no action button. Screenshots go to artifacts/ (CI keeps them; copies of
 * them illustrate the README under docs/images/).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { graphql, type ServiceProcess, startService } from '../service/service-process.ts';

const CHROMIUM = '/usr/bin/chromium';
const required = process.env.KAIROS_REQUIRE_SERVICES === '1' || Boolean(process.env.CI);
const present = existsSync(CHROMIUM);
if (!present && !required) console.warn(`[skip] ${CHROMIUM} is missing: skipping the monitor browser test`);

const ADMIN = 'monitor-admin-token-0123';
const READ = 'monitor-read-token-0123';
const ARTIFACTS = 'artifacts';

/** Jobs a new user might have: a workday cron in Paris, a quarter-hourly sync, a heartbeat. */
const SEED = `mutation {
  report: addJob(input: { id: "nightly-report", name: "Nightly report", task: "log",
    trigger: { cron: { expression: "0 9 * * 1-5", timezone: "Europe/Paris" } } }) { id }
  sync: addJob(input: { id: "sync-crm", task: "log", trigger: { interval: { minutes: 15 } } }) { id }
  heartbeat: addJob(input: { id: "heartbeat", task: "log", args: { message: "alive" },
    trigger: { interval: { seconds: 1 } } }) { id }
  webhook: addJob(input: { id: "partner-webhook", task: "http", args: { url: "http://127.0.0.1:9/hook" },
    trigger: { interval: { seconds: 2 } }, retry: { attempts: 1 } }) { id }
}`;

describe.skipIf(!present && !required)('monitor page in chromium', () => {
  let service: ServiceProcess;
  let browser: Browser;
  let base = '';

  beforeAll(async () => {
    if (!present) throw new Error(`${CHROMIUM} is missing (install it: apt-get install -y chromium)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    [service, browser] = await Promise.all([
      startService('node', {
        DATABASE_URL: 'memory://',
        KAIROS_TOKENS: `admin:${ADMIN},read:${READ}`,
        KAIROS_LOG_LEVEL: 'info', // the ready line is info
        KAIROS_INSTANCE: 'monitor-replica-1',
      }),
      // As root (CI), chromium needs --no-sandbox; the page is our own.
      chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }),
    ]);
    base = service.url.replace(/\/graphql$/, '');
    const seeded = await graphql(service.url, SEED, ADMIN);
    expect(seeded.errors).toBeUndefined();
  }, 60_000);

  /** Uncaught errors in any page: checked after each test, so a broken module fails it. */
  const pageErrors: string[] = [];
  afterEach(() => {
    expect(pageErrors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await service?.kill();
  });

  /** A new tab that has passed the token prompt. */
  async function signIn(token: string, path = '/'): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${base}${path}`);
    await page.getByLabel('Token').fill(token);
    await page.getByRole('button', { name: 'Open the monitor' }).click();
    return page;
  }

  it('shows the jobs, a live execution within 2 s of its fire, and pauses a job', async () => {
    const page = await signIn(ADMIN);
    const report = page.locator('tr[data-job="nightly-report"]');
    await expect
      .poll(() => report.locator('.trigger').textContent())
      .toBe('at 09:00, Monday through Friday, Europe/Paris');
    expect(await report.locator('.next-run').textContent()).toMatch(/^in \d+ (sec|min|hr|day)/);
    expect(await page.locator('tr[data-job="sync-crm"] .trigger').textContent()).toBe('every 15 minutes');
    expect(await page.locator('tr[data-job="sync-crm"] .next-run').textContent()).toMatch(/^in 1[45] min/);
    // Search and the state filter narrow the table.
    await page.getByLabel('Search jobs').fill('crm');
    await expect.poll(() => page.locator('tr[data-job]').count()).toBe(1);
    await page.getByLabel('Search jobs').fill('');
    await page.getByRole('button', { name: 'finished', exact: true }).click();
    await expect.poll(() => page.locator('tr[data-job]').count()).toBe(0);
    await page.getByRole('button', { name: 'all', exact: true }).click();
    // The one live replica, from its heartbeat, with the stores it runs on.
    const replica = page.locator('.replicas li[data-replica="monitor-replica-1"]');
    expect(await replica.locator('.stores').textContent()).toBe(
      'jobs: memory · history: pglite · events: memory',
    );
    expect(await replica.textContent()).toMatch(/this one.*heartbeat expires in \d+ sec/);
    await page.locator('[data-connection="live"]').waitFor();

    // A job due in 1 s, added once the feed is live: its STARTED event must show within 2 s of the fire.
    const runDate = new Date(Date.now() + 1_000).toISOString();
    const added = await graphql(
      service.url,
      `mutation { addJob(input: { id: "one-off", task: "log", trigger: { date: { runDate: "${runDate}" } } }) { id } }`,
      ADMIN,
    );
    expect(added.errors).toBeUndefined();
    const started = page.locator('.event[data-job="one-off"][data-event="STARTED"]');
    await started.waitFor({ timeout: 5_000 });
    const receivedAt = Number(await started.getAttribute('data-received-at'));
    const scheduledFor = Date.parse((await started.getAttribute('data-scheduled-for')) as string);
    expect(receivedAt - scheduledFor).toBeLessThan(2_000);
    await page.locator('.event[data-job="one-off"][data-event="SUCCEEDED"]').waitFor({ timeout: 5_000 });

    // The failing webhook shows up on the overview before the picture is taken.
    await page.locator('tr[data-job="partner-webhook"][data-state="failing"]').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: `${ARTIFACTS}/monitor-overview.png`, fullPage: true });

    await page.locator('tr[data-job="heartbeat"] a.job-link').click();
    await page.locator('[data-job-page="heartbeat"]').waitFor();
    await page.locator('[data-action="pause"]').click();
    await page.getByPlaceholder(/Reason/).fill('maintenance window');
    await page.locator('[data-action="confirm-pause"]').click();
    await page.locator('.job-head [data-state="paused"]').waitFor({ timeout: 5_000 });
    expect(await page.locator('.job-head .badge.paused').textContent()).toContain('maintenance window');
    await page.locator('[data-action="resume"]').waitFor();
    const job = await graphql<{ job: { paused: boolean; pauseReason: string } }>(
      service.url,
      '{ job(id: "heartbeat") { paused pauseReason } }',
      ADMIN,
    );
    expect(job.data?.job).toEqual({ paused: true, pauseReason: 'maintenance window' });
    await page.locator('.history tr[data-execution]').first().waitFor();

    // Reschedule previews the new trigger's next fires as it is typed, then applies it.
    await page.locator('[data-action="reschedule"]').click();
    await page.getByLabel('Trigger', { exact: true }).fill('0 9 * * 1-5');
    await page.getByLabel('Time zone').fill('Europe/Paris');
    await expect.poll(() => page.locator('.preview .pill').count()).toBe(5);
    await page.screenshot({ path: `${ARTIFACTS}/monitor-job.png`, fullPage: true });
    await page.getByRole('button', { name: 'Reschedule', exact: true }).click();
    await expect
      .poll(() => page.locator('[data-field="trigger"]').textContent())
      .toMatch(/^at 09:00, Monday through Friday, Europe\/Paris/);
    await page.close();
  });

  it('shows a read token no action button, and filters a history by status', async () => {
    const page = await signIn(READ, '/#/jobs/partner-webhook');
    await page.locator('[data-job-page="partner-webhook"]').waitFor();
    await expect.poll(() => page.locator('.who [data-scope]').textContent()).toBe('read');
    expect(await page.locator('.actions').count()).toBe(0);
    expect(await page.locator('[data-action]').count()).toBe(0);
    // The webhook fails every time: filtered on success its history is empty, unfiltered it is not.
    const success = page.locator('.history .chip', { hasText: 'success' });
    await page.locator('.history tr[data-execution]').first().waitFor();
    await success.click();
    await page.locator('.history td.empty').waitFor();
    expect(await page.locator('.history tr[data-execution]').count()).toBe(0);
    await success.click();
    await page.locator('.history tr[data-execution]').first().waitFor();
    await page.close();
  });
});
