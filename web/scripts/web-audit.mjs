// `make web-audit`: Lighthouse (npm `lighthouse`, Debian's Chromium, headless) over the
// built dashboard in web/dist, served by scripts/mock-api.mjs with its seeded data (the API
// is mocked, so the figures measure the dashboard and not a local stack's debug builds).
// The sign-in page is audited signed out; the others after a sign-in, each opened as a
// bookmark is (the page asks `/v1/auth/refresh` for a session, which the mock answers once
// any login was made: it keeps a flag, not a cookie). Lighthouse's default mobile profile with
// simulated throttling. Prints performance, accessibility and best-practices per page, and
// the jobs page's initial JavaScript gzipped: every script its audit loaded (the shell and
// the page's own chunks), each gzipped at level 9 from the build output (what the browser
// receives from CloudFront is Brotli, a little smaller still).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from './chromium.mjs';
import { startMock } from './mock-api.mjs';

const dist = path.resolve(process.argv[2] ?? 'dist');
// `WEB_AUDIT_REPORTS=DIR` keeps each page's full Lighthouse report (JSON) there, to read the
// opportunities and diagnostics behind a score.
const reports = process.env.WEB_AUDIT_REPORTS;
const GOAL = 90;
const JS_GOAL_KB = 150;
const SIGNED_OUT = ['/login'];
const SIGNED_IN = ['/jobs', '/board', '/profile', '/sources', '/analytics'];

/** Every script the jobs page loaded in its audit (the shell, its preloads and the page's own chunks), gzipped from web/dist. */
function initialJs(lhr) {
  const scripts = lhr.audits['network-requests'].details.items.filter((r) => r.resourceType === 'Script');
  return scripts.map(({ url: u }) => {
    const file = new URL(u).pathname;
    const bytes = readFileSync(path.join(dist, file.replace(/^\//, '')));
    return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
}

const { server, url } = await startMock(dist);
// chrome-launcher is told the path, so it never looks at CHROME_PATH or searches for a browser.
const chrome = await chromeLauncher.launch({ chromePath: CHROMIUM_PATH, chromeFlags: ['--headless=new', ...CHROMIUM_FLAGS] });
let below = 0;
let jobsReport;
try {
  const audit = async (page) => {
    const { lhr } = await lighthouse(`${url}${page}`, { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: ['performance', 'accessibility', 'best-practices'] });
    if (reports) {
      mkdirSync(reports, { recursive: true });
      writeFileSync(path.join(reports, `${page.slice(1) || 'root'}.json`), JSON.stringify(lhr, null, 1));
    }
    if (page === '/jobs') jobsReport = lhr;
    const score = (id) => Math.round((lhr.categories[id].score ?? 0) * 100);
    const row = [score('performance'), score('accessibility'), score('best-practices')];
    below += row.filter((s) => s < GOAL).length;
    const failing = Object.values(lhr.audits)
      .filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode === 'binary')
      .map((a) => a.id);
    const ms = (id) => `${(lhr.audits[id].numericValue / 1000).toFixed(1)} s`;
    const metrics = `FCP ${ms('first-contentful-paint')}, LCP ${ms('largest-contentful-paint')}, TBT ${Math.round(lhr.audits['total-blocking-time'].numericValue)} ms`;
    console.log(`${page.padEnd(12)} ${String(row[0]).padStart(11)} ${String(row[1]).padStart(13)} ${String(row[2]).padStart(14)}   ${metrics}${failing.length ? `; failing: ${failing.join(', ')}` : ''}`);
  };
  console.log(`page         performance accessibility best-practices   (goal ≥ ${GOAL} each)`);
  for (const page of SIGNED_OUT) await audit(page);
  await fetch(`${url}/v1/auth/login`, { method: 'POST' });
  for (const page of SIGNED_IN) await audit(page);
} finally {
  await chrome.kill();
  server.close();
}

const js = initialJs(jobsReport);
const total = js.reduce((n, f) => n + f.gzip, 0);
for (const f of js) console.log(`initial JS  ${f.file}: ${(f.raw / 1024).toFixed(1)} kB, ${(f.gzip / 1024).toFixed(1)} kB gzipped`);
console.log(`jobs page initial JavaScript: ${(total / 1024).toFixed(1)} kB gzipped (goal < ${JS_GOAL_KB} kB)`);
if (below > 0) console.log(`${below} score(s) below ${GOAL}`);
