// Lighthouse audit of the release page: serves the built page (argument: its directory) on
// 127.0.0.1, audits it with the mobile and the desktop settings in headless Chromium
// (CHROME_PATH), prints the scores and the main-thread figures, and writes the reports next to
// this script. Text and the wasm module are sent gzip-compressed when the browser accepts it,
// as static hosts send them (the module is 5 MB, 1.5 MB compressed). Run by `cargo xtask bench-lighthouse`, which installs the pinned Lighthouse.
import { createServer } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import * as chromeLauncher from 'chrome-launcher';

const dist = process.argv[2];
const types = {
  '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.ico': 'image/x-icon',
};
const server = createServer(async (req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  const file = join(dist, normalize(path === '/' ? '/index.html' : path));
  try {
    const body = await readFile(file);
    const headers = { 'content-type': types[extname(file)] || 'application/octet-stream' };
    const compress = /gzip/.test(req.headers['accept-encoding'] || '') && extname(file) !== '.png';
    if (compress) headers['content-encoding'] = 'gzip';
    res.writeHead(200, headers);
    res.end(compress ? gzipSync(body) : body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const url = `http://127.0.0.1:${server.address().port}/`;

const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH,
  chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
const ms = (lhr, id) => Math.round(lhr.audits[id]?.numericValue ?? NaN);
try {
  for (const [name, config] of [['mobile', undefined], ['desktop', desktopConfig]]) {
    const result = await lighthouse(url, { port: chrome.port, output: 'json', logLevel: 'error' }, config);
    const lhr = result.lhr;
    await writeFile(join(import.meta.dirname, `report-${name}.json`), result.report);
    const score = (c) => lhr.categories[c].score.toFixed(2);
    console.log(
      `lighthouse ${lhr.lighthouseVersion} ${name}: performance ${score('performance')}, ` +
        `accessibility ${score('accessibility')}, best practices ${score('best-practices')}; ` +
        `first contentful paint ${ms(lhr, 'first-contentful-paint')} ms, ` +
        `largest contentful paint ${ms(lhr, 'largest-contentful-paint')} ms, ` +
        `total blocking time ${ms(lhr, 'total-blocking-time')} ms, ` +
        `time to interactive ${ms(lhr, 'interactive')} ms, ` +
        `main-thread work ${ms(lhr, 'mainthread-work-breakdown')} ms`,
    );
  }
} finally {
  await chrome.kill();
  server.close();
}
