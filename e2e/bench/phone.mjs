// Cold loads of the widget's page and of its floor (the same plans written into plain
// HTML), on a phone-sized screen, unthrottled and under Lighthouse's mobile throttling.
// For `cargo xtask bench`; the first argument is a JSON object:
//   {"widget": url, "floor": url, "loads": n}
// Prints one JSON object of samples (milliseconds from navigation start).
//
// What is measured, the same way on every load:
// - first_card_ms: the first animation frame in which a plan card with its price is in
//   the document (the frame that paints it). Widget: `.plan-card:not(.skeleton)` with a
//   non-empty `.plan-price` in its shadow root; floor: the same in the page.
// - interactive_ms: the first plan can be chosen. Widget: at the first animation frame
//   in which the first plan's `.choose` button is in the document and enabled, the
//   observer clicks it (`HTMLElement.click()`, which runs the widget's handler); the time
//   is the first frame in which the widget shows that plan's checkout form (its email
//   field), i.e. the click was handled and its result painted. A main thread still busy
//   after the first card delays both the click and its answer. Floor: there is no script,
//   so the first plan's native `<button>` (in a plain `<form>`) works as soon as it is
//   painted: its interactive time is the first frame in which that button is present.
import { launch } from '../lib/stack.mjs';

const args = JSON.parse(process.argv[2]);
const LOADS = Number(args.loads || 9);

// Lighthouse's `mobileSlow4G` (core/config/constants.js): rttMs 150, throughputKbps
// 1.6 * 1024, upload 750 kbps, cpuSlowdownMultiplier 4, turned into DevTools' units
// the way Lighthouse does it (kbps * 1024 / 8 bytes per second, floored). The latency
// is the RTT itself, not the 3.75x "DevTools adjustment" of Lighthouse's devtools mode.
const THROTTLED = {
  latency: 150,
  downloadThroughput: Math.floor((1.6 * 1024 * 1024) / 8),
  uploadThroughput: Math.floor((750 * 1024) / 8),
  cpuSlowdown: 4,
};
const SCREEN = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1.75, isMobile: true, hasTouch: true };

const OBSERVER = `
  window.__bench = { card: null, clicked: null, interactive: null };
  (function watch() {
    const b = window.__bench;
    const now = performance.now();
    const host = document.querySelector('simology-esim');
    const root = host ? host.shadowRoot : document;
    if (root) {
      if (b.card === null) {
        const price = root.querySelector('.plan-card:not(.skeleton) .plan-price');
        if (price && price.textContent.trim() !== '') b.card = now;
      }
      if (b.card !== null && b.interactive === null) {
        if (host) {
          if (b.clicked === null) {
            const button = root.querySelector('.plan-card:not(.skeleton) .choose');
            if (button && !button.disabled) { b.clicked = now; button.click(); }
          }
          if (b.clicked !== null && root.querySelector('input[type=email]')) b.interactive = now;
        } else {
          const button = root.querySelector('.plan-card button');
          if (button && !button.disabled) b.interactive = now;
        }
      }
    }
    if (b.interactive === null) requestAnimationFrame(watch);
  })();`;

async function load(browser, url, throttled) {
  // A new context is a cold browser: no HTTP cache, no compiled wasm, no connections.
  const context = await browser.newContext(SCREEN);
  try {
    await context.addInitScript(OBSERVER);
    const page = await context.newPage();
    const problems = [];
    const encodings = [];
    page.on('response', (r) => {
      if (r.url().endsWith('.wasm') || r.url().endsWith('.js')) encodings.push(r.headers()['content-encoding'] || 'identity');
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    if (throttled) {
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: THROTTLED.latency,
        downloadThroughput: THROTTLED.downloadThroughput,
        uploadThroughput: THROTTLED.uploadThroughput,
      });
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: THROTTLED.cpuSlowdown });
    }
    await page.goto(url, { waitUntil: 'commit' });
    try {
      await page.waitForFunction(() => window.__bench.interactive !== null, null, { timeout: 60000, polling: 250 });
    } catch (e) {
      throw new Error(`${url} (throttled: ${throttled}): no interactive plan within 60 s; ${problems.join('; ')}`);
    }
    const b = await page.evaluate(() => window.__bench);
    return { card: b.card, interactive: b.interactive, encodings };
  } finally {
    await context.close();
  }
}

const browser = await launch();
try {
  const out = { loads: LOADS, throttling: THROTTLED, screen: SCREEN, widget_files_encodings: [] };
  for (const mode of ['unthrottled', 'throttled']) {
    const samples = {
      widget: { first_card_ms: [], interactive_ms: [] },
      floor: { first_card_ms: [], interactive_ms: [] },
    };
    // One throwaway load of each, so that the first measured load does not pay for
    // the browser's own start-up; then widget and floor alternate.
    await load(browser, args.widget, mode === 'throttled');
    await load(browser, args.floor, mode === 'throttled');
    for (let i = 0; i < LOADS; i++) {
      for (const which of ['widget', 'floor']) {
        const r = await load(browser, args[which], mode === 'throttled');
        samples[which].first_card_ms.push(r.card);
        samples[which].interactive_ms.push(r.interactive);
        for (const e of r.encodings) if (!out.widget_files_encodings.includes(e)) out.widget_files_encodings.push(e);
      }
    }
    out[mode] = samples;
    process.stderr.write(`  ${mode}: ${LOADS} loads of each page done\n`);
  }
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}
