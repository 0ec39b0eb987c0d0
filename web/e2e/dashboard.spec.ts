// The whole product in a real browser against the local stack: register → paste a
// Greenhouse URL to add a source (the fixture board) → verify the address and set up
// instant e-mail and a signed webhook → fetch → rows appear and get scored live → open a job → archive
// it → track one through saved, applied and interviewing on the board → an admin sees the analytics → reload and a new tab stay signed in → sign out. Screenshots of the main pages go to web/screenshots/.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectAccessible } from './axe';
import { JOURNEY_BOARDS, greenhouseBoard } from './fixture-board';

const shots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'screenshots');
const base = () => {
  const url = process.env.JOBMON_E2E_URL;
  if (!url) throw new Error('JOBMON_E2E_URL is not set: the global setup did not run');
  return url;
};
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

// A webhook receiver on loopback (private addresses are allowed locally), in this process.
async function startReceiver() {
  const received: { signature: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ signature: String(req.headers['x-jobmon-signature'] ?? ''), body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
}

// `X-Jobmon-Signature: t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the channel's secret.
function signedBy(secret: string, signature: string, body: string) {
  const parts = Object.fromEntries(signature.split(',').map((p) => p.split('=') as [string, string]));
  return parts.v1 === createHmac('sha256', secret).update(`${parts.t}.${body}`).digest('hex');
}

// The mail the functions sent stays in the local stack's moto, which jobmon-local names at start-up.
async function mailTo(address: string): Promise<{ subject: string; body: string }[]> {
  const log = readFileSync(process.env.JOBMON_E2E_LOG ?? '', 'utf8');
  const moto = /sent mail\s+(\S+)\/moto-api\/data\.json/.exec(log)?.[1];
  if (!moto) throw new Error('jobmon-local did not say where sent mail is kept');
  const data = (await (await fetch(`${moto}/moto-api/data.json`)).json()) as {
    ses?: { Message?: { destinations?: { ToAddresses?: string[] }; subject?: string; body?: string }[] };
  };
  return (data.ses?.Message ?? [])
    .filter((m) => (m.destinations?.ToAddresses ?? []).some((a) => a.toLowerCase() === address.toLowerCase()))
    .map((m) => ({ subject: m.subject ?? '', body: m.body ?? '' }));
}

// The dashboard is served with the template's response headers policy (the local gateway
// reads it from template.yaml); whatever the policy blocks is reported here.
function watchCsp(page: Page, violations: string[]) {
  page.on('console', (m) => {
    if (/Content[- ]Security[- ]Policy/i.test(m.text())) violations.push(m.text());
  });
  return page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`Content-Security-Policy violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
}

test('register, add a source, fetch, watch jobs get scored live, archive one, see analytics', async ({ page }) => {
  const email = `e2e-${Date.now()}@example.com`;
  const cspViolations: string[] = [];
  await watchCsp(page, cspViolations);

  // An unknown user is sent to sign in; the form checks input before sending.
  await page.goto(base() + '/jobs');
  await expect(page).toHaveURL(/\/login\?next=%2Fjobs/);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByLabel('E-mail')).toHaveAccessibleDescription('Enter your e-mail address.');
  await shot(page, '01-login');
  await expectAccessible(page, '01-login');

  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByLabel('Workspace name').fill('E2E Team');
  await shot(page, '02-register');
  await expectAccessible(page, '02-register');
  await page.getByRole('button', { name: 'Create account' }).click();

  // The guided start: three steps, none done yet.
  await expect(page).toHaveURL(/\/start$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Get started' })).toBeVisible();
  await expect(page.getByTestId('start-step')).toHaveCount(3);
  await expect(page.getByRole('button', { name: 'Fetch now' })).toBeDisabled();
  await expectAccessible(page, '02b-start');
  await page.getByRole('link', { name: 'Add a source' }).click();

  // Sources: paste the board's URL; jobmon recognises it and previews it before saving.
  await expect(page).toHaveURL(/\/sources$/);
  await expect(page.getByText('No sources yet')).toBeVisible();
  await page.getByRole('button', { name: 'Add source' }).click();
  await page.getByRole('button', { name: 'Find source' }).click(); // nothing pasted yet
  const pasted = page.getByLabel('Careers page or job board URL');
  await expect(pasted).toHaveAccessibleDescription(/Enter the address of a careers page/);
  await pasted.fill('https://boards.greenhouse.io/acme');
  await page.getByRole('button', { name: 'Find source' }).click();
  const found = page.getByRole('region', { name: 'Found source' });
  await expect(found).toContainText('Found a Greenhouse source (acme)');
  await expect(found.getByTestId('preview').getByRole('listitem')).toHaveCount(3);
  await found.getByLabel('Name').fill('Acme board');
  await found.getByRole('button', { name: 'Add source' }).click();
  const source = page.getByTestId('source').filter({ hasText: 'Acme board' });
  await expect(source).toBeVisible();
  await source.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByTestId('preview').getByRole('listitem')).toHaveCount(3);
  await shot(page, '03-sources');
  await expectAccessible(page, '03-sources');

  // Profile: what the jobs are scored against.
  await nav(page, 'Profile').click();
  await page.getByLabel('Job titles you want').fill('Rust Engineer');
  await page.getByLabel('Must have').fill('rust');
  await page.getByLabel('Avoid').fill('office manager');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByText('Profile saved.')).toBeVisible();
  await shot(page, '04-profile');
  await expectAccessible(page, '04-profile');

  // Notifications: only a verified address gets mail, so follow the link of the sign-up
  // mail first; then instant e-mail from score 1 and a signed webhook to a local receiver.
  const receiver = await startReceiver();
  const verification = (await mailTo(email)).map((m) => /http\S+\/verify-email\?token=[\w-]+/.exec(m.body)?.[0]).find(Boolean);
  expect(verification, 'the sign-up mail links to /verify-email').toBeTruthy();
  await page.goto(verification!);
  await expect(page.getByText('Thank you — your e-mail address is verified.')).toBeVisible();
  await page.goto(base() + '/notifications');
  await page.getByLabel('E-mail me as soon as a good match is scored').check();
  await page.getByLabel('Only jobs scoring at least').fill('1');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByText('Notification settings saved.')).toBeVisible();
  const addChannel = page.getByRole('form', { name: 'Add a channel' });
  await addChannel.getByLabel('Kind').selectOption('webhook');
  await addChannel.getByLabel('Channel URL').fill(receiver.url);
  await addChannel.getByLabel('Minimum score').fill('1');
  await addChannel.getByRole('button', { name: 'Add channel' }).click();
  const secret = (await page.getByTestId('signing-secret').locator('code').nth(1).textContent())!;
  const channel = page.getByTestId('channel-row').filter({ hasText: receiver.url });
  await channel.getByRole('button', { name: 'Send test' }).click();
  await expect(channel.getByRole('status')).toHaveText('Test message delivered.');
  expect(receiver.received).toHaveLength(1);
  expect(signedBy(secret, receiver.received[0].signature, receiver.received[0].body)).toBe(true);
  await expectAccessible(page, '10b-notifications-set');

  // Jobs: empty, then "Fetch now"; rows arrive and get scored over the WebSocket.
  await nav(page, 'Jobs').click();
  await expect(page.getByText('No jobs yet')).toBeVisible();
  await expect(page.getByTestId('live-dot')).toHaveAttribute('data-status', 'open');
  // Survives only if the page is never reloaded.
  await page.evaluate(() => ((window as unknown as { noReload: boolean }).noReload = true));
  await page.getByRole('button', { name: 'Fetch now' }).click();
  await expect(page.getByText(/Fetching 1 source/)).toBeVisible();
  await expect(page.getByTestId('job-row')).toHaveCount(3, { timeout: 60_000 });
  await expect(page.getByText(/3 new jobs from Acme board/)).toBeVisible();
  await expect(page.getByTestId('job-row').getByTestId('score')).toHaveCount(3, { timeout: 90_000 });
  await expect(page.locator('[data-testid=job-row][data-status=scored]')).toHaveCount(3);
  // Scorings that arrive together are announced in one toast.
  await expect(page.getByTestId('toast').filter({ hasText: /Scored \d+\/10|\d+ jobs scored — best: \d+\/10/ }).first()).toBeVisible();
  expect(await page.getByTestId('toast').count()).toBeLessThanOrEqual(3);
  expect(await page.evaluate(() => (window as unknown as { noReload?: boolean }).noReload)).toBe(true);
  // The matches reached the webhook, signed, and the member's mailbox: each job once.
  const boardTitles = greenhouseBoard('acme', JOURNEY_BOARDS.acme).jobs.map((j) => j.title);
  const announced = () =>
    receiver.received.slice(1).flatMap((r) => {
      const body = JSON.parse(r.body) as { job?: { title: string }; jobs?: { title: string }[] };
      return (body.jobs ?? (body.job ? [body.job] : [])).map((j) => j.title);
    });
  await expect.poll(() => announced().sort(), { timeout: 90_000 }).toEqual([...boardTitles].sort());
  for (const r of receiver.received) expect(signedBy(secret, r.signature, r.body)).toBe(true);
  const matchMail = async () => (await mailTo(email)).filter((m) => /^(New match|\d+ new matches)/.test(m.subject));
  await expect.poll(async () => (await matchMail()).length, { timeout: 90_000 }).toBeGreaterThan(0);
  const mailed = (await matchMail()).map((m) => m.body).join('\n');
  for (const t of boardTitles) expect(mailed).toContain(t);
  receiver.server.close();

  // Filters live in the URL.
  await page.getByLabel('Sort by').selectOption('score');
  await expect(page).toHaveURL(/sort=score/);
  await expect(page.getByTestId('job-row').first()).toContainText('Rust Engineer');
  await shot(page, '05-jobs');
  await expectAccessible(page, '05-jobs');

  // The profile page previews an edit over these jobs before it is saved.
  await nav(page, 'Profile').click();
  await expect(page.getByTestId('preview-row')).toHaveCount(3);
  await page.getByLabel('Must have').fill('rust, kubernetes');
  await expect(page.getByTestId('preview-row').filter({ hasText: /kubernetes/i }).first()).toBeVisible();
  await expectAccessible(page, '04b-profile-preview');
  await page.goBack();
  await expect(page.getByTestId('job-row')).toHaveCount(3);

  // A phone-sized screen: no horizontal page scroll, navigation behind "Menu".
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.getByRole('button', { name: 'Menu' })).toBeVisible();
  // The filters wait behind a button so the list is on the first screen.
  await expect(page.getByLabel('Sort by')).toBeHidden();
  await expect(page.getByTestId('job-row').first()).toBeInViewport();
  await page.getByRole('button', { name: /^Filters/ }).click();
  await expect(page.getByLabel('Sort by')).toBeVisible();
  await page.getByRole('button', { name: 'Hide filters' }).click();
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await shot(page, '06-jobs-phone');
  await expectAccessible(page, '06-jobs-phone');
  await page.setViewportSize({ width: 1280, height: 800 });

  // Job detail: reason, history; archive it.
  const first = page.getByTestId('job-row').first();
  const title = (await first.getByRole('link').textContent())!;
  await first.getByRole('link').click();
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Why this score' })).toBeVisible();
  await expect(page.getByTestId('history').getByRole('listitem')).toHaveCount(1);
  await expect(page.getByText('Build Rust and TypeScript services')).toBeVisible();
  await shot(page, '07-job-detail');
  await expectAccessible(page, '07-job-detail');
  await page.getByRole('button', { name: 'Archive' }).click();
  await expect(page.getByText('Job archived.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Restore' })).toBeVisible();
  await page.getByRole('link', { name: '← Back to jobs' }).click();
  await expect(page).toHaveURL(/\/jobs\?sort=score/);
  await expect(page.getByTestId('job-row')).toHaveCount(2);
  await expect(page.getByTestId('job-row').filter({ hasText: title })).toHaveCount(0);
  await page.getByLabel('Status').selectOption('archived');
  await expect(page.getByTestId('job-row')).toHaveCount(1);
  await expect(page.getByTestId('job-row')).toContainText(title);

  // Application tracking: save a job from its page, then move it through `applied` (the
  // keyboard path: a select) and `interviewing` (native drag and drop) on the board; the
  // stage survives a reload.
  await nav(page, 'Jobs').click();
  // The archived list stays on screen while the unfiltered one renders (deferred): wait for
  // the two jobs that are not archived before reading the first row.
  await expect(page.getByLabel('Status')).toHaveValue('');
  await expect(page.getByTestId('job-row')).toHaveCount(2);
  await expect(page.getByTestId('job-row').filter({ hasText: title })).toHaveCount(0);
  const tracked = page.getByTestId('job-row').first();
  const trackedTitle = (await tracked.getByRole('link').textContent())!;
  // By its title: the list may re-order as live scorings arrive, so "the first row" can be another job by the time of the click.
  await page.getByRole('link', { name: trackedTitle, exact: true }).click();
  await page.getByLabel('Stage').selectOption('saved');
  await expect(page.getByText('Stage set to Saved.')).toBeVisible();
  await expect(page.getByTestId('tracking')).toContainText('Saved');
  await page.getByLabel('Note').fill('Recruiter call on Monday');
  await page.getByRole('button', { name: 'Add note' }).click();
  await expect(page.getByTestId('tracking')).toContainText('Recruiter call on Monday');
  await nav(page, 'Board').click();
  await expect(page.getByTestId('column-saved')).toContainText(trackedTitle);
  await page.getByLabel(`Move ${trackedTitle} to`).selectOption('applied');
  await expect(page.getByTestId('column-applied')).toContainText(trackedTitle);
  await page
    .getByTestId('column-applied')
    .getByTestId('board-card')
    .filter({ hasText: trackedTitle })
    .dragTo(page.getByTestId('column-interviewing'));
  await expect(page.getByTestId('column-interviewing')).toContainText(trackedTitle);
  await shot(page, '07b-board');
  await expectAccessible(page, '07b-board');
  await page.reload();
  await expect(page.getByTestId('column-interviewing')).toContainText(trackedTitle);
  await expect(page.getByTestId('column-applied')).not.toContainText(trackedTitle);

  // A lost connection is shown, and live updates come back.
  await page.context().setOffline(true);
  await expect(page.getByTestId('connection-banner')).toContainText('offline');
  await page.context().setOffline(false);
  await expect(page.getByTestId('connection-banner')).toHaveCount(0, { timeout: 45_000 });
  await expect(page.getByTestId('live-dot')).toHaveAttribute('data-status', 'open', { timeout: 45_000 });

  // Analytics (the registering user is the admin).
  await nav(page, 'Analytics').click();
  const tiles = page.getByTestId('tiles');
  await expect(tiles).toContainText('Jobs in total');
  await expect(tiles.getByText('Jobs in total').locator('..')).toContainText('3');
  await expect(page.getByTestId('by-stage')).toHaveText('Interviewing: 1');
  // The charts are drawn from the reports: the three jobs found today, all scored, are three
  // in the scores' bars and three in the days' found counts, and each chart names its figures.
  const sumOf = async (marks: Locator, attr: string) =>
    (await marks.evaluateAll((els, a) => els.map((e) => Number(e.getAttribute(a))), attr)).reduce((n, c) => n + c, 0);
  const scoreChart = page.getByRole('region', { name: 'Score distribution' }).getByRole('img', { name: /^Jobs by score, 3 in all: score \d+: \d/ });
  await expect(scoreChart).toBeVisible();
  await expect(scoreChart.getByTestId('score-bar')).toHaveCount(10);
  expect(await sumOf(scoreChart.getByTestId('score-bar'), 'data-count')).toBe(3);
  const perDayChart = page.getByRole('region', { name: 'Jobs per day' }).getByRole('img', { name: /: 3 found, \d+ scored$/ });
  await expect(perDayChart).toBeVisible();
  expect(await sumOf(perDayChart.getByTestId('day'), 'data-found')).toBe(3);
  await expect(perDayChart.getByTestId('line-found')).toHaveAttribute('points', /^[\d.]+,[\d.]+( [\d.]+,[\d.]+)+$/);
  await expect(page.getByRole('table', { name: 'Jobs per source' })).toContainText('Acme board');
  await shot(page, '08-analytics');
  await expectAccessible(page, '08-analytics');

  // Stay signed in: a reload, a new tab and a bookmark open the dashboard signed in. The
  // refresh token is an HttpOnly cookie that script cannot read.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Analytics' })).toBeVisible();
  expect(await page.evaluate(() => document.cookie)).toBe('');
  const tab = await page.context().newPage();
  await watchCsp(tab, cspViolations);
  await tab.goto(base() + '/jobs?sort=score');
  await expect(tab.getByTestId('job-row')).toHaveCount(2);
  await tab.close();

  // The remaining pages render their content or a clear state.
  await nav(page, 'Members').click();
  await expect(page.getByLabel(`Role of ${email}`)).toHaveValue("admin");
  await shot(page, '09-members');
  await expectAccessible(page, '09-members');
  await nav(page, 'Notifications').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Notifications' })).toBeVisible();
  await expect(page.getByLabel('E-mail me as soon as a good match is scored')).toBeChecked();
  await expect(page.getByTestId('channel-row')).toHaveCount(1);
  await shot(page, '10-notifications');
  await expectAccessible(page, '10-notifications');
  await nav(page, 'Billing').click();
  await expect(page.getByText(/Scored jobs this month|Billing is not available|Could not load billing/).first()).toBeVisible();
  await shot(page, '11-billing');
  await expectAccessible(page, '11-billing');

  // Sign out ends the session, and the cookie with it: a bookmark now asks to sign in.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto(base() + '/jobs');
  await expect(page).toHaveURL(/\/login\?next=%2Fjobs/);

  // The whole journey ran under the strict CSP without a single violation.
  const response = await page.request.get(base() + '/');
  expect(response.headers()['content-security-policy']).toContain("script-src 'self'");
  expect(cspViolations).toEqual([]);
});
