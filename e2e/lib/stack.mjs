// The demo stack and a browser, for the end-to-end tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import axe from 'axe-core';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';

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

export async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Runs axe-core on the page (shadow roots included); returns serious and critical violations. */
export async function seriousViolations(page) {
  await page.evaluate(axe.source);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Decodes the QR code in an element's screenshot. */
export async function decodeQr(locator) {
  const png = PNG.sync.read(await locator.screenshot());
  const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  return code ? code.data : null;
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

/** Chooses the first plan of a widget and checks out. */
export async function checkout(page, widget, email = 'traveller@example.com') {
  await widget.locator('.country-plans .choose').first().click();
  await widget.locator('input[type=email]').fill(email);
  await widget.locator('.pay').click();
}

export function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

export const CARD_OK = '4242 4242 4242 4242';
export const CARD_DECLINED = '4000 0000 0000 0002';
export const CARD_PROVISIONING_FAILS = '4000 0000 0000 0341';
