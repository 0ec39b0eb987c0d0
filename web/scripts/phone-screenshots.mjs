// The jobs page on a phone (390×844), signed in against the seeded mock API
// (scripts/mock-api.mjs), in Debian's Chromium. Used for docs/screenshots/: run once on a
// build of the dashboard from before the issue-22 work and once on today's, so both show
// the same data.
//
//   node scripts/phone-screenshots.mjs DIST_DIR OUT.png
import { chromium } from '@playwright/test';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from './chromium.mjs';
import { startMock } from './mock-api.mjs';

const [dist, out] = process.argv.slice(2);
if (!dist || !out) {
  console.error('usage: node scripts/phone-screenshots.mjs DIST_DIR OUT.png');
  process.exit(2);
}
const { server, url } = await startMock(dist);
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS });
try {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
  await page.goto(`${url}/login?next=%2Fjobs`);
  await page.getByLabel('E-mail').fill('ana@example.com');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/jobs/);
  await page.getByTestId('job-row').first().waitFor();
  // The first screen, as a person opening the page sees it.
  await page.screenshot({ path: out });
  console.log(`${out}: ${await page.getByTestId('job-row').count()} rows`);
} finally {
  await browser.close();
  server.close();
}
