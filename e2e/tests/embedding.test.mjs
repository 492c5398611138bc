// Embedding: two widgets on one page, a hostile host page, a keyboard-only journey into
// and through the frame, and the element's life on a page (added later, the script run
// twice, removed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startStack, launch, newPage, shot, pay, seriousViolations, widgetFrame, frameOf, isWidgetFrame,
  readJson, ROOT, CARD_OK } from '../lib/stack.mjs';
import { waitUntil } from '../lib/wait.mjs';

let stack;
let browser;
before(async () => { stack = await startStack(); browser = await launch(); });
after(async () => { await browser?.close(); await stack?.stop(); });

test('two widgets on one page work independently', async () => {
  const page = await newPage(browser, { width: 1280 });
  await page.goto(`${stack.urls.page}/two.html`);
  const japan = widgetFrame(page, '#shop-japan');
  const europe = widgetFrame(page, '#shop-europe');
  await japan.locator('.plans-title').waitFor();
  await europe.locator('.plans-title').waitFor();
  assert.equal(await japan.locator('.plans-title').textContent(), 'Japan eSIM plans');
  assert.equal(await europe.locator('.plans-title').textContent(), 'Europe\u00a0: forfaits eSIM');
  assert.equal(await europe.locator('.sim-root').getAttribute('class'), 'sim-root theme-dark');
  // One frame each, each titled in its own language.
  assert.deepEqual(await page.locator('simology-esim iframe').evaluateAll((all) => all.map((f) => f.title)),
    ['eSIM shop', 'Boutique eSIM']);
  await japan.locator('.country-plans .choose').first().click();
  await japan.locator('form.checkout').waitFor();
  assert.equal(await europe.locator('form.checkout').count(), 0, 'the other widget did not move');
  assert.ok((await europe.locator('.plan-card').count()) > 0);
  // Each frame is as tall as its content (the host script sizes it): no scrolling inside.
  for (const host of ['#shop-japan', '#shop-europe']) {
    const frame = await frameOf(page, host);
    const sizes = await frame.evaluate(() => ({ content: document.documentElement.scrollHeight, view: window.innerHeight }));
    assert.ok(Math.abs(sizes.content - sizes.view) <= 1, `${host}: frame ${sizes.view} px for ${sizes.content} px of content`);
  }
  await shot(page, 'two-widgets');
  assert.deepEqual(await seriousViolations(page), []);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a hostile host stylesheet leaves the widget intact', async () => {
  const page = await newPage(browser, { width: 375 });
  await page.goto(`${stack.urls.page}/hostile.html`);
  const widget = widgetFrame(page, '#hostile-shop');
  await widget.locator('.plan-card').first().waitFor();
  const styles = await widget.locator('.sim-root').evaluate((el) => {
    const s = getComputedStyle(el);
    return { fontSize: s.fontSize, color: s.color, display: s.display };
  });
  assert.deepEqual(styles, { fontSize: '16px', color: 'rgb(20, 23, 31)', display: 'block' });
  const button = await widget.locator('.choose').first().evaluate((el) => {
    const s = getComputedStyle(el);
    return { transform: s.transform, border: s.borderTopStyle, visible: el.getBoundingClientRect().height > 30 };
  });
  assert.deepEqual(button, { transform: 'none', border: 'solid', visible: true });
  const box = await page.locator('#hostile-shop').boundingBox();
  assert.ok(box.width <= 375, `fits the phone: ${box.width}`);
  const frameBox = await page.locator('#hostile-shop iframe').boundingBox();
  assert.ok(frameBox.height > 300 && frameBox.width <= 375, `the frame is shown whole: ${JSON.stringify(frameBox)}`);
  await shot(page, 'hostile-host');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

/** The focused control's text: through the element's shadow root into its frame. */
async function focusedText(page, host) {
  const inFrame = await page.evaluate((selector) => {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    return el !== null && el.tagName === 'IFRAME' && el.getRootNode().host === document.querySelector(selector);
  }, host);
  if (!inFrame) return '';
  const frame = await frameOf(page, host);
  return frame.evaluate(() => {
    const el = document.activeElement;
    return el && el !== document.body ? (el.textContent || el.getAttribute('aria-label') || el.tagName).trim() : '';
  });
}

test('a keyboard-only journey, with the focus visible', async () => {
  const page = await newPage(browser, { width: 1280 });
  await page.goto(`${stack.urls.page}/`);
  const widget = widgetFrame(page, '#japan-shop');
  await widget.locator('.plans-title').waitFor();
  // Tab from the page into the frame: "Change destination" is its first control.
  let found = false;
  for (let i = 0; i < 10 && !found; i++) {
    await page.keyboard.press('Tab');
    found = (await focusedText(page, '#japan-shop')) === 'Change destination';
  }
  assert.ok(found, 'reached the widget by Tab');
  const frame = await frameOf(page, '#japan-shop');
  const ring = await frame.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return { style: s.outlineStyle, width: parseFloat(s.outlineWidth), visible: document.activeElement.matches(':focus-visible') };
  });
  assert.deepEqual({ ...ring, width: ring.width >= 2 }, { style: 'solid', width: true, visible: true }, 'focus is visible');
  await page.keyboard.press('Enter');
  // The search takes the focus.
  const search = widget.locator('.search-input');
  await search.waitFor();
  await frame.waitForFunction(() => document.activeElement && document.activeElement.classList.contains('search-input'));
  await page.keyboard.type('spain');
  // As a person would, wait for the suggestion before choosing it (the destinations
  // may still be on their way on a busy machine).
  await widget.locator('.search-option', { hasText: 'Spain' }).waitFor();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await widget.locator('.plans-title', { hasText: 'Spain' }).waitFor();
  // As a person would, wait for the plans to show before tabbing to one.
  await widget.locator('.choose').first().waitFor();
  // To the first "Choose": past the switch, the chips and the sort control.
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press('Tab');
    if ((await focusedText(page, '#japan-shop')) === 'Choose') break;
  }
  assert.equal(await focusedText(page, '#japan-shop'), 'Choose');
  await page.keyboard.press('Enter');
  // The checkout's heading takes the focus; the travellers, then the email, follow it.
  await widget.locator('input[type=email]').waitFor();
  await frame.waitForFunction(() => document.activeElement && document.activeElement.classList.contains('checkout-title'));
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press('Tab');
    if (await widget.locator('input[type=email]').evaluate((el) => el.ownerDocument.activeElement === el)) break;
  }
  assert.ok(await widget.locator('input[type=email]').evaluate((el) => el.ownerDocument.activeElement === el),
    'the email field, by Tab from the heading');
  await page.keyboard.type('keys@example.com');
  // On to "My phone supports eSIM and is unlocked", ticked with Space.
  const confirm = widget.locator('.compat-confirm');
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('Tab');
    if (await confirm.evaluate((el) => el.ownerDocument.activeElement === el)) break;
  }
  assert.ok(await confirm.evaluate((el) => el.ownerDocument.activeElement === el), 'the confirmation, by Tab from the email');
  await page.keyboard.press('Space');
  assert.ok(await confirm.isChecked(), 'ticked by Space');
  // Enter in the frame's form sends the top page to the payment page.
  await page.keyboard.press('Enter');
  await pay(page, CARD_OK, { keyboard: true });
  await page.waitForURL((u) => u.origin === stack.urls.page);
  await widget.locator('.qr svg').waitFor({ timeout: 20000 });
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('an element added later, the script run twice, an element removed', async () => {
  const page = await newPage(browser, { width: 1280 });
  await page.goto(`${stack.urls.page}/`);
  await widgetFrame(page, '#japan-shop').locator('.plans-title').waitFor();
  // A single-page app loads the script again (the same tag, as its router renders it)
  // and adds an element of its own.
  const integrity = readJson(join(ROOT, 'dist', 'integrity.json'))['simology-esim.js'];
  await page.evaluate(({ cdn, proxy, integrity }) => new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = `${cdn}/simology-esim.js`;
    script.integrity = integrity;
    script.crossOrigin = 'anonymous';
    script.onload = resolve;
    script.onerror = () => reject(new Error('the script did not load again'));
    document.head.appendChild(script);
    const el = document.createElement('simology-esim');
    el.id = 'later-shop';
    el.setAttribute('proxy', proxy);
    el.setAttribute('region', 'europe');
    el.setAttribute('locale', 'de');
    document.querySelector('main').appendChild(el);
  }), { cdn: stack.urls.cdn, proxy: stack.urls.proxy, integrity });
  const later = widgetFrame(page, '#later-shop');
  await later.locator('.plans-title').waitFor();
  assert.match(await later.locator('.plans-title').textContent(), /Europa/);
  assert.equal(await page.locator('simology-esim iframe').count(), 2, 'one frame per element, none twice');
  // A changed attribute makes the element's frame again, on the new destination.
  await page.locator('#later-shop').evaluate((el) => el.setAttribute('country', 'FR'));
  await page.locator('#later-shop').evaluate((el) => el.removeAttribute('region'));
  await later.locator('.plans-title', { hasText: 'Frankreich' }).waitFor();
  assert.equal(await page.locator('#later-shop iframe').count(), 1);
  // Removed: its frame goes with it, and the other widget keeps working.
  await page.locator('#later-shop').evaluate((el) => el.remove());
  await waitUntil('the removed element\'s frame to go', () => page.frames().filter(isWidgetFrame).length === 1);
  await widgetFrame(page, '#japan-shop').locator('.country-plans .choose').first().click();
  await widgetFrame(page, '#japan-shop').locator('form.checkout').waitFor();
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
