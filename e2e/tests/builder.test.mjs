// The embed builder (dist/builder.html) on the CDN: a blogger's choices make the exact
// two lines to paste (the script with its integrity hash, the element with its
// attributes), the live widget (its frame, from the proxy) shows them, colours
// included, and a colour that fails WCAG AA is flagged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startStack, launch, newPage, readJson, seriousViolations, shot, widgetFrame, ROOT } from '../lib/stack.mjs';
import { waitUntil } from '../lib/wait.mjs';

let stack;
let browser;
before(async () => { stack = await startStack(); browser = await launch(); });
after(async () => { await browser?.close(); await stack?.stop(); });

test('the builder makes the two lines, previews the widget and warns about contrast', async () => {
  const integrity = readJson(join(ROOT, 'dist', 'integrity.json'))['simology-esim.js'];
  const page = await newPage(browser, { width: 1280 });
  await page.goto(`${stack.urls.cdn}/builder.html?proxy=${encodeURIComponent(stack.urls.proxy)}`);
  const snippet = page.locator('#snippet');
  await page.fill('#affiliate', 'wander-notes');
  await page.fill('#placement', 'Japan-Post.Sidebar');
  await page.selectOption('#locale', 'fr');
  await page.selectOption('#theme', 'light');
  // The default accent passes.
  await page.locator('#contrast.passes').waitFor();
  const expected = `<script src="${stack.urls.cdn}/simology-esim.js" integrity="${integrity}" crossorigin="anonymous" async></script>\n` +
    `<simology-esim proxy="${stack.urls.proxy}" country="JP" locale="fr" theme="light" affiliate="wander-notes" placement="japan-post.sidebar"></simology-esim>`;
  await page.waitForFunction((want) => document.getElementById('snippet').value === want, expected);
  // The live widget, in French, without the affiliate's attributes (no credit for previews).
  const preview = page.locator('#preview simology-esim');
  const shown = widgetFrame(page, '#preview simology-esim');
  await shown.locator('.plans-title').waitFor();
  assert.match(await shown.locator('.plans-title').textContent(), /^Japon\s?: forfaits eSIM$/u);
  assert.equal(await preview.getAttribute('affiliate'), null);

  // A pale accent fails on the light background: flagged, and still written as chosen.
  await page.locator('#accent').fill('#f5c400');
  await page.locator('#contrast.fails').waitFor();
  await shot(page, 'builder-contrast-warning');
  assert.match(await page.locator('#contrast').textContent(), /fails WCAG AA.*links on the background: 1\.\d\d:1/);
  await page.waitForFunction(() => document.getElementById('snippet').value.includes('style="--simology-accent: #f5c400; --simology-accent-text: #14171f"'));
  // A dark one passes again, and the preview's frame takes it (the element's style
  // crosses into the frame).
  await page.locator('#accent').fill('#0b5d3b');
  await page.locator('#contrast.passes').waitFor();
  // The preview is made again a moment after the last change: its new frame's button.
  await waitUntil('the preview\'s button in the chosen accent', () => shown.locator('.choose').first()
    .evaluate((el) => getComputedStyle(el).backgroundColor === 'rgb(11, 93, 59)', null, { timeout: 1000 }));

  // A malformed affiliate id is explained and left out of the snippet.
  await page.fill('#affiliate', 'Wander Notes');
  await page.locator('#affiliate-error', { hasText: 'lower-case letters' }).waitFor();
  await page.waitForFunction(() => !document.getElementById('snippet').value.includes('affiliate='));
  assert.equal((await snippet.inputValue()).split('\n').length, 2, 'two lines');
  assert.deepEqual(await seriousViolations(page), [], 'no serious accessibility violations');
  assert.deepEqual(page.problems, [], 'no console errors');
  await page.context().close();
});
