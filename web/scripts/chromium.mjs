// The one Chromium every browser run of the dashboard uses: the Playwright journey
// (playwright.config.ts), Lighthouse (scripts/web-audit.mjs) and the phone screenshots
// (scripts/phone-screenshots.mjs). Debian's package, never a downloaded browser;
// `JOBMON_CHROMIUM` points at another binary.
export const CHROMIUM_PATH = process.env.JOBMON_CHROMIUM || '/usr/bin/chromium';

// It runs in a container without a GPU or a user namespace for its sandbox, and reaches
// nothing but the server under test: no QUIC, no background requests, component updates or
// sync. Headless mode is each launcher's own business (Playwright adds it; chrome-launcher
// is given `--headless=new`).
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
