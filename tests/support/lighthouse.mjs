// Audit pages with Lighthouse (the pinned npm package) in Debian's chromium, and print one
// line of JSON per page: {url, scores: {category: score}, failing: [{id, title}]}.
// Usage: node tests/support/lighthouse.mjs CHROMIUM URL... : one browser, the pages in turn
// (Lighthouse keeps global timing marks, so two runs in one process collide; the caller
// starts several processes to audit pages side by side).
import lighthouse from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';

const [chromePath, ...urls] = process.argv.slice(2);
const CATEGORIES = ['accessibility', 'best-practices', 'seo'];
const FLAGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function audit(chrome, url) {
  const result = await lighthouse(url, {port: chrome.port, logLevel: 'error'}, {
    extends: 'lighthouse:default',
    settings: {onlyCategories: CATEGORIES, throttlingMethod: 'provided', disableFullPageScreenshot: true},
  });
  const lhr = result.lhr;
  const scores = Object.fromEntries(Object.entries(lhr.categories).map(([k, c]) => [k, c.score]));
  const failing = Object.values(lhr.audits)
    .filter((a) => a.score !== null && a.score < 1 && !['notApplicable', 'informative', 'manual'].includes(a.scoreDisplayMode))
    .map((a) => ({id: a.id, title: a.title}));
  return {url, scores, failing, error: lhr.runtimeError?.message ?? null};
}

const chrome = await chromeLauncher.launch({chromePath, chromeFlags: FLAGS});
// The browser goes with this process however it ends (chrome-launcher's kill on exit).
process.on('uncaughtException', (error) => { chrome.kill(); console.error(error); process.exit(1); });
try {
  for (const url of urls) {
    console.log(JSON.stringify(await audit(chrome, url)));
  }
} finally {
  await chrome.kill();
}
