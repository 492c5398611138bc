// Cold loads of the widget's page and of its floor (the same plans written into plain
// HTML), on a phone-sized screen, unthrottled and under Lighthouse's mobile throttling.
// For `cargo xtask bench`; the first argument is a JSON object:
//   {"widget": url, "floor": url, "loads": n}
// Prints one JSON object of samples (milliseconds from the host page's navigation
// start; bytes as brotli 11).
//
// The widget draws in a frame of its own, from the proxy's origin (another site than
// the host page). The observer below runs in every frame of the page (Playwright adds
// init scripts to each); each frame notes its times on one clock, the wall clock
// (`performance.timeOrigin + performance.now()`), and they are taken relative to the
// host page's `performance.timeOrigin`, its navigation start.
//
// What is measured, the same way on every load:
// - first_card_ms: the first animation frame in which a plan card with its price is in
//   the document that draws it. Widget: `.plan-card:not(.skeleton)` with a non-empty
//   `.plan-price` in the frame's document; floor: the same in the page.
// - interactive_ms: the first plan can be chosen. Widget: at the first animation frame
//   in which the first plan's `.choose` button is in the frame's document and enabled
//   and the frame takes taps, the observer clicks it there (`HTMLElement.click()`: the
//   frame's own handlers run, whether the wasm is in yet or not); the time is the first
//   frame in which the frame shows that plan's checkout form (its email field), i.e.
//   the click was handled and its result drawn. Floor: there is no script, so the first
//   plan's native `<button>` (in a plain `<form>`) works as soon as it is there: the
//   first frame with it.
// - taps_lost_ms (widget): how long the first plan is shown before the frame takes a
//   tap on it. The frame document's inline tap script (the proxy's `tap.js`) keeps a
//   tap made before the frame's script and the wasm are in, and defines
//   `window.simologyFrame` once it listens; a tap before that does nothing at all: the
//   first animation frame in which `window.simologyFrame` exists, minus first_card_ms
//   (0 when it came first).
// - bytes_first_card / bytes_interactive: every response the browser received for the
//   page (its frames' included) after the host page's own document and before that
//   moment, each counted as the brotli 11 size of its decoded body (so the figure does
//   not depend on how a server compresses). "Received before" is: its last byte came
//   before the moment, or it is a document whose first byte came before it (a frame's
//   document is drawn while it streams in: it is counted whole). The resources of the
//   last load of each page are listed, with their times.
//
// Each load is a new browser context: no HTTP cache, no compiled wasm, no connections,
// no storage or cookies. The browser keeps a cross-site frame in its page's process
// (see `browser.mjs`), so that the CPU throttling slows the frame too; every load checks
// that no frame ran out of process.
import { createHash } from 'node:crypto';
import { launch, frameTargets, brotliSize } from './browser.mjs';

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
  (function () {
    if (window.__bench) return;
    var at = function () { return performance.timeOrigin + performance.now(); };
    var framed = window !== window.top;
    var b = window.__bench = { card: null, listening: null, clicked: null, interactive: null };
    (function watch() {
      // The widget's page: the widget draws in its frame, whose observer reports.
      if (!framed && document.querySelector('simology-esim')) return;
      if (b.card === null) {
        var price = document.querySelector('.plan-card:not(.skeleton) .plan-price');
        if (price && price.textContent.trim() !== '') b.card = at();
      }
      // The frame's script is there: a tap is taken (kept until the wasm is in).
      if (framed && b.listening === null && window.simologyFrame) b.listening = at();
      if (b.card !== null && b.interactive === null) {
        if (framed) {
          if (b.clicked === null && b.listening !== null) {
            var button = document.querySelector('.plan-card:not(.skeleton) .choose');
            if (button && !button.disabled) { b.clicked = at(); button.click(); }
          }
          if (b.clicked !== null && document.querySelector('input[type=email]')) b.interactive = at();
        } else {
          var native = document.querySelector('.plan-card button');
          if (native && !native.disabled) b.interactive = at();
        }
      }
      if (b.interactive === null) {
        requestAnimationFrame(watch);
      } else {
        window.__benchReport({ framed: framed, card: b.card, listening: b.listening, clicked: b.clicked,
          interactive: b.interactive });
      }
    })();
  })();`;

// Brotli sizes of the bodies seen, by their SHA-256 (the same files come on every load).
const sizes = new Map();
function brotliOf(body) {
  const key = createHash('sha256').update(body).digest('hex');
  if (!sizes.has(key)) sizes.set(key, brotliSize(body));
  return sizes.get(key);
}

// The bytes received before `moment` (ms from navigation start), by the rule above.
function bytesBefore(resources, moment) {
  return resources
    .filter((r) => r.end_ms <= moment || (r.type === 'document' && r.first_byte_ms <= moment))
    .reduce((sum, r) => sum + r.brotli_bytes, 0);
}

const wait = (ms) => new Promise((r) => setTimeout(r, ms));

async function load(browser, url, throttled) {
  const context = await browser.newContext(SCREEN);
  try {
    let reported;
    const report = new Promise((resolve) => { reported = resolve; });
    await context.exposeBinding('__benchReport', (source, data) => reported({ frame: source.frame.url(), ...data }));
    await context.addInitScript(OBSERVER);
    const page = await context.newPage();
    const problems = [];
    const finished = [];
    const failed = [];
    page.on('requestfinished', (r) => finished.push(r));
    page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure() && r.failure().errorText}`));
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    if (throttled) {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: THROTTLED.latency,
        downloadThroughput: THROTTLED.downloadThroughput,
        uploadThroughput: THROTTLED.uploadThroughput,
      });
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: THROTTLED.cpuSlowdown });
    }
    await page.goto(url, { waitUntil: 'commit' });
    const r = await Promise.race([report, wait(60000).then(() => null)]);
    if (r === null) {
      const states = [];
      for (const f of page.frames()) {
        states.push(`${f.url()}: ${JSON.stringify(await f.evaluate(() => window.__bench).catch((e) => e.message))}`);
      }
      throw new Error(`${url} (throttled: ${throttled}): no plan chosen within 60 s (observers: ${states.join('; ')}); `
        + `${problems.concat(failed).join('; ')}`);
    }
    const escaped = await frameTargets(browser);
    if (escaped.length > 0) {
      throw new Error(`frames ran out of the page's process, unthrottled: ${escaped.join(', ')}`);
    }
    // The events of responses finished before the report may still be on their way.
    await wait(300);
    const start = await page.evaluate(() => performance.timeOrigin);
    const resources = [];
    for (const request of finished) {
      // The host page's own document is not counted.
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) continue;
      const response = await request.response();
      const body = response ? await response.body() : Buffer.alloc(0);
      const timing = request.timing();
      resources.push({
        url: request.url(),
        type: request.resourceType(),
        in_frame: request.frame() !== page.mainFrame(),
        status: response ? response.status() : null,
        encoding: response ? response.headers()['content-encoding'] || 'identity' : null,
        decoded_bytes: body.length,
        brotli_bytes: brotliOf(body),
        start_ms: timing.startTime - start,
        first_byte_ms: timing.startTime + timing.responseStart - start,
        end_ms: timing.startTime + timing.responseEnd - start,
      });
    }
    resources.sort((a, b) => a.end_ms - b.end_ms);
    if (problems.length > 0 || failed.length > 0) {
      throw new Error(`${url}: errors in the page: ${problems.concat(failed).join('; ')}`);
    }
    const card = r.card - start;
    const interactive = r.interactive - start;
    return {
      card,
      interactive,
      tapsLost: r.framed ? Math.max(0, r.listening - r.card) : 0,
      frame: r.framed ? r.frame : null,
      bytesCard: bytesBefore(resources, card),
      bytesInteractive: bytesBefore(resources, interactive),
      resources,
    };
  } finally {
    await context.close();
  }
}

const browser = await launch();
try {
  const out = {
    loads: LOADS,
    throttling: THROTTLED,
    screen: SCREEN,
    widget_files_encodings: [],
    frame_urls: [],
  };
  for (const mode of ['unthrottled', 'throttled']) {
    const samples = {};
    const last = {};
    for (const which of ['widget', 'floor']) {
      samples[which] = { first_card_ms: [], interactive_ms: [], bytes_first_card: [], bytes_interactive: [], taps_lost_ms: [] };
    }
    // One throwaway load of each, so that the first measured load does not pay for
    // the browser's own start-up; then widget and floor alternate.
    await load(browser, args.widget, mode === 'throttled');
    await load(browser, args.floor, mode === 'throttled');
    for (let i = 0; i < LOADS; i++) {
      for (const which of ['widget', 'floor']) {
        const r = await load(browser, args[which], mode === 'throttled');
        if ((which === 'widget') !== (r.frame !== null)) {
          throw new Error(`${which}: the plans were drawn ${r.frame ? `in a frame (${r.frame})` : 'in the page'}`);
        }
        const s = samples[which];
        s.first_card_ms.push(r.card);
        s.interactive_ms.push(r.interactive);
        s.bytes_first_card.push(r.bytesCard);
        s.bytes_interactive.push(r.bytesInteractive);
        s.taps_lost_ms.push(r.tapsLost);
        last[which] = { first_card_ms: r.card, interactive_ms: r.interactive, resources: r.resources };
        if (r.frame && !out.frame_urls.includes(r.frame)) out.frame_urls.push(r.frame);
        for (const res of r.resources) {
          if (/\.(js|wasm)$/.test(new URL(res.url).pathname) && !out.widget_files_encodings.includes(res.encoding)) {
            out.widget_files_encodings.push(res.encoding);
          }
        }
      }
    }
    out[mode] = { ...samples, last_load: last };
    process.stderr.write(`  ${mode}: ${LOADS} loads of each page done\n`);
  }
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}
