// The demo stack and a browser, for the end-to-end tests.
//
// The widget lives in a frame of the proxy's origin inside its element's (open) shadow
// root: `widgetFrame(page, '#japan-shop')` reaches into that frame's document (a
// FrameLocator), `frameOf` gives its Frame (to evaluate in its realm), and the
// accessibility and screenshot helpers look into every widget frame of the page.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import { playwrightFindings } from './a11y.mjs';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { waitUntil } from './wait.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHOTS = join(ROOT, 'target', 'e2e');
mkdirSync(SHOTS, { recursive: true });

/** Starts the demo on free ports; resolves to its URLs and a stop function. */
export async function startStack({ activationDelayMs = 1500 } = {}) {
  const bin = process.env.SIMOLOGY_DEMO_BIN || join(ROOT, 'target', 'debug', 'simology-demo');
  const dataDir = mkdtempSync(join(tmpdir(), 'simology-e2e-'));
  const child = spawn(bin, ['--port', '0', '--json', '--dist', join(ROOT, 'dist'), '--data-dir', dataDir,
    '--activation-delay-ms', String(activationDelayMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`demo exited with ${code}`)));
  });
  const urls = JSON.parse(first);
  return {
    urls,
    async stop() {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** Debian's Chromium, headless, with nothing that reaches the internet. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** A page that records console errors and uncaught exceptions. */
export async function newPage(browser, { width = 375, height = 860, ...options } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, ...options });
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => { if (m.type() === 'error') page.problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  return page;
}

/**
 * The widget's frame in the element `host` (a selector of the page, through the
 * element's open shadow root): its locators reach into the frame's document.
 */
export function widgetFrame(page, host = 'simology-esim') {
  return page.locator(`${host} iframe`).contentFrame();
}

/** Whether a frame holds the widget's document (the proxy's `/embed`). */
export function isWidgetFrame(frame) {
  return frame.parentFrame() !== null && /\/embed\?/.test(frame.url());
}

/**
 * The Frame of the widget in `host` once its document is the proxy's (for
 * `evaluate` in the frame's realm). A new document (after a navigation of the page)
 * is a new Frame: ask again.
 */
export async function frameOf(page, host = 'simology-esim') {
  const element = page.locator(`${host} iframe`);
  return waitUntil(`the widget frame of ${host}`, async () => {
    const frame = await (await element.elementHandle({ timeout: 1000 })).contentFrame();
    return frame && isWidgetFrame(frame) && (await frame.locator('#sim').count()) === 1 ? frame : null;
  });
}

/**
 * Waits until the widget's frame in `host` is as tall as its document and stays put
 * on the page for two of the page's animation frames. The host script resizes the
 * frame after its content changes (a message, handled later); a frame that shrinks can
 * then move on the page (its scroll clamped). Playwright's check that an element is
 * stable looks at it inside its frame only: a click aimed before the frame has moved
 * lands on whatever is there after.
 */
export async function steady(page, host = 'simology-esim') {
  const frame = await frameOf(page, host);
  const element = page.locator(`${host} iframe`);
  await waitUntil(`the widget frame of ${host} sized to its content and still`, async () => {
    const sized = await frame.evaluate(() =>
      Math.ceil(document.documentElement.getBoundingClientRect().height) === window.innerHeight);
    return sized && element.evaluate((el) => new Promise((resolve) => {
      const where = () => { const r = el.getBoundingClientRect(); return `${r.top},${r.height}`; };
      const before = where();
      requestAnimationFrame(() => requestAnimationFrame(() => resolve(where() === before)));
    }));
  });
}

/**
 * Chooses the destination `code` among the search's options of the widget in `host`,
 * once its frame has stopped moving on the page (`steady`): "Change destination"
 * shrinks the frame, and the page's scroll, clamped, can move it after the option is
 * drawn.
 */
export async function chooseDestination(page, code, host = 'simology-esim') {
  const option = widgetFrame(page, host).locator(`.search-option[data-code="${code}"]`);
  await option.waitFor();
  await steady(page, host);
  await option.click();
}

/** The widget frames of a page that are shown (not hidden by their host script). */
export async function shownWidgetFrames(page) {
  const frames = [];
  for (const frame of page.frames().filter(isWidgetFrame)) {
    const element = await frame.frameElement().catch(() => null);
    if (element && await element.isVisible()) frames.push({ frame, element });
  }
  return frames;
}

/**
 * Resolves after two animation frames of the page and of each widget frame in view:
 * laid out and painted. (A frame of another site out of view gets no animation frames
 * at all: Chromium does not render it.)
 */
export async function painted(page) {
  const twice = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  await page.evaluate(twice);
  for (const frame of page.frames().filter(isWidgetFrame)) {
    const element = await frame.frameElement().catch(() => null);
    const inView = element && await element.evaluate((el) => {
      const r = el.getBoundingClientRect();
      return getComputedStyle(el).display !== 'none' && r.bottom > 0 && r.right > 0 && r.top < window.innerHeight && r.left < window.innerWidth;
    });
    if (inView) await frame.evaluate(twice);
  }
}

/**
 * Screenshots the whole page (target/e2e/<name>.png) and returns it decoded. The
 * widget's frames are part of it. Chromium paints no frame of another site outside
 * the viewport into a full-page screenshot (its area comes out as the page's
 * background), so the viewport is made as tall as the page for the shot. Each shown
 * frame's area must then carry its content (some ink on its background), or the test
 * fails: a screenshot of an empty box shows nothing of the widget.
 */
export async function shot(page, name) {
  const viewport = page.viewportSize();
  const height = await page.evaluate(() => Math.ceil(document.documentElement.scrollHeight));
  const tall = height > viewport.height;
  const scroll = tall ? await page.evaluate(() => [window.scrollX, window.scrollY]) : null;
  if (tall) {
    // Each widget frame is brought into view at the page's own size first: Chromium
    // may not have drawn a frame of another site that was never in view, and a
    // taller viewport alone does not always make it draw (seen on a hostile page).
    for (const { element } of await shownWidgetFrames(page)) {
      await element.evaluate((el) => el.scrollIntoView({ block: 'nearest' }));
      await painted(page);
    }
    await page.setViewportSize({ width: viewport.width, height });
  }
  try {
    // A frame of another site is drawn by its own process: after a resize its
    // pixels can reach the page's compositor a frame or two after the page's own
    // (seen on a loaded machine). A blank frame is painted and shot again, a few
    // times, before it counts as blank.
    let blank = null;
    for (let attempt = 0; attempt < 4; attempt++) {
      await painted(page);
      const buffer = await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
      const png = PNG.sync.read(buffer);
      blank = await blankFrame(page, png);
      if (!blank) return png;
    }
    // In whole runs the hostile page's frame stayed blank in every tall shot, though its
    // document was laid out in it and visible (its box, scroll and styles read from
    // the frame): each frame is then shot in view at the page's own size, and must
    // carry its content there.
    if (tall && blank) {
      await page.setViewportSize(viewport);
      const png = await inViewShot(page, name);
      if (png) return png;
    }
    throw new Error(`${name}: the widget frame ${blank.url.slice(0, 80)} is blank in the screenshot (${(blank.share * 100).toFixed(2)} % ink)`);
  } finally {
    if (tall) {
      await page.setViewportSize(viewport);
      await page.evaluate(([x, y]) => window.scrollTo(x, y), scroll);
      // Laid out and painted at its own size again before the test goes on.
      await painted(page);
    }
  }
}

/**
 * Each shown widget frame scrolled to the top of the viewport and shot there (the
 * viewport only, written to target/e2e/<name>.png): the last shot, or null when a
 * frame's part in view has no ink.
 */
async function inViewShot(page, name) {
  let png = null;
  const ratio = await page.evaluate(() => window.devicePixelRatio);
  for (const { element } of await shownWidgetFrames(page)) {
    await element.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await painted(page);
    png = PNG.sync.read(await page.screenshot({ path: join(SHOTS, `${name}.png`) }));
    const box = await element.evaluate((el) => {
      const r = el.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: Math.min(r.height, window.innerHeight - r.y) };
    });
    if (box.width < 1 || box.height < 1 || inked(png, box, ratio) < 0.005) return null;
  }
  return png;
}

/** The first shown widget frame whose area in the full-page shot `png` has no ink
 * (its URL and the share of its pixels that differ from its background), if any. */
async function blankFrame(page, png) {
  const ratio = await page.evaluate(() => window.devicePixelRatio);
  for (const { frame, element } of await shownWidgetFrames(page)) {
    // Where the frame is in the shot (a full page's: the document's coordinates).
    const box = await element.evaluate((el) => {
      const r = el.getBoundingClientRect();
      return { x: r.x + window.scrollX, y: r.y + window.scrollY, width: r.width, height: r.height };
    });
    if (box.width < 1 || box.height < 1) continue;
    const share = inked(png, box, ratio);
    if (share < 0.005) return { url: frame.url(), share };
  }
  return null;
}

/** The box (CSS px, scaled by `ratio`) in device pixels, within the image. */
function pixels(png, box, ratio) {
  const x0 = Math.max(0, Math.floor(box.x * ratio));
  const y0 = Math.max(0, Math.floor(box.y * ratio));
  return {
    x0, y0,
    x1: Math.min(png.width, Math.ceil((box.x + box.width) * ratio)),
    y1: Math.min(png.height, Math.ceil((box.y + box.height) * ratio)),
  };
}

/** The share of a box's pixels (CSS px) that differ from its most common colour. */
export function inked(png, box, ratio = 1) {
  const { x0, y0, x1, y1 } = pixels(png, box, ratio);
  const counts = new Map();
  let total = 0;
  let most = 0;
  for (let py = y0; py < y1; py += 1) {
    for (let px = x0; px < x1; px += 1) {
      const i = (py * png.width + px) * 4;
      const key = (png.data[i] << 16) | (png.data[i + 1] << 8) | png.data[i + 2];
      const n = (counts.get(key) || 0) + 1;
      counts.set(key, n);
      if (n > most) most = n;
      total += 1;
    }
  }
  return total === 0 ? 0 : 1 - most / total;
}

/** A box (CSS px) cut out of a decoded PNG. */
export function crop(png, box, ratio = 1) {
  const { x0, y0, x1, y1 } = pixels(png, box, ratio);
  const out = new PNG({ width: x1 - x0, height: y1 - y0 });
  PNG.bitblt(png, out, x0, y0, x1 - x0, y1 - y0, 0, 0);
  return out;
}

/** The text of the QR code in a decoded PNG, or null. */
export function qrIn(png) {
  const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  return code ? code.data : null;
}

/**
 * Runs axe-core on the page (its shadow roots included) and inside every shown widget
 * frame (axe injected into the frame's document, and the frame tested as part of the
 * page: lib/a11y.mjs); returns the serious and critical violations.
 */
export async function seriousViolations(page) {
  const { findings } = await playwrightFindings(page, isWidgetFrame);
  return findings
    .filter((f) => f.kind === 'violation' && (f.impact === 'serious' || f.impact === 'critical'))
    .map((f) => ({ id: f.id, impact: f.impact, nodes: f.nodes.map((n) => n.target.flat().join(' >> ')).slice(0, 3) }));
}

/** Decodes the QR code in an element's screenshot (an element of a frame too). */
export async function decodeQr(locator) {
  return qrIn(PNG.sync.read(await locator.screenshot()));
}

/**
 * Takes the browser off the network (or back on), and waits until the page and every
 * widget frame know it (`navigator.onLine`): a frame of another site is a process of
 * its own, which hears of it a moment later.
 */
export async function setOffline(page, offline) {
  await page.context().setOffline(offline);
  for (const frame of [page.mainFrame(), ...page.frames().filter(isWidgetFrame)]) {
    await frame.waitForFunction((off) => navigator.onLine === !off, offline);
  }
}

/** Pays on the sandbox's page with a card, by pointer or keyboard. */
export async function pay(page, card, { keyboard = false } = {}) {
  await page.waitForURL(/\/pay\/cs_/);
  if (keyboard) {
    await page.keyboard.press('Tab');
    await page.keyboard.type(card);
    await page.keyboard.press('Enter');
  } else {
    await page.fill('#card', card);
    await page.click('button[value=pay]');
  }
}

/** Chooses the first plan of a widget (its frame: `widgetFrame`) and checks out. */
export async function checkout(page, widget, email = 'traveller@example.com') {
  await widget.locator('.country-plans .choose').first().click();
  await widget.locator('input[type=email]').fill(email);
  await confirmPhone(widget);
  await widget.locator('.pay').click();
}

/**
 * Ticks the checkout's "My phone supports eSIM and is unlocked": with the element's
 * `compat-check` left at `required` (the demo's), Pay waits for it.
 */
export async function confirmPhone(widget) {
  await widget.locator('.compat-confirm').check();
}

/**
 * Serves pages on a loopback address of their own (another site than the demo's:
 * `127.0.0.4`...): `pages` maps a path to `{ body, headers }`. Resolves to its origin,
 * the requests it had, and a close function.
 */
export async function servePages(host, pages) {
  const requests = [];
  const server = createServer((req, res) => {
    requests.push(req.url);
    const page = pages[new URL(req.url, 'http://x').pathname];
    if (!page) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...(page.headers || {}) }).end(page.body);
  });
  await new Promise((resolve, reject) => server.listen(0, host, resolve).once('error', reject));
  return {
    origin: `http://${host}:${server.address().port}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

/**
 * Runs `steps`; when they fail, keeps what the page showed (target/e2e/FAILED-<name>.png)
 * and each widget frame's HTML (FAILED-<name>-frame<i>.html) before failing.
 */
export async function evidence(page, name, steps) {
  try {
    return await steps();
  } catch (e) {
    await page.screenshot({ path: join(SHOTS, `FAILED-${name}.png`), fullPage: true }).catch(() => {});
    for (const [i, frame] of page.frames().filter(isWidgetFrame).entries()) {
      const html = await frame.content().catch((err) => `unreadable: ${err.message}`);
      keep(`FAILED-${name}-frame${i}.html`, `<!-- ${frame.url()} -->\n${html}`);
    }
    throw e;
  }
}

/** Writes a text file under target/e2e (what a test saw, for whoever reads a failure). */
export function keep(name, text) {
  writeFileSync(join(SHOTS, name), text);
}

export function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

export const CARD_OK = '4242 4242 4242 4242';
export const CARD_DECLINED = '4000 0000 0000 0002';
export const CARD_PROVISIONING_FAILS = '4000 0000 0000 0341';
