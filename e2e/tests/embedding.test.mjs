// Embedding: two widgets on one page, a hostile host page, and a keyboard-only journey.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, launch, newPage, shot, pay, seriousViolations, CARD_OK } from '../lib/stack.mjs';

let stack;
let browser;
before(async () => { stack = await startStack(); browser = await launch(); });
after(async () => { await browser?.close(); await stack?.stop(); });

test('two widgets on one page work independently', async () => {
  const page = await newPage(browser, { width: 1280 });
  await page.goto(`${stack.urls.page}/two.html`);
  const japan = page.locator('#shop-japan');
  const europe = page.locator('#shop-europe');
  await japan.locator('.plans-title').waitFor();
  await europe.locator('.plans-title').waitFor();
  assert.equal(await japan.locator('.plans-title').textContent(), 'Japan eSIM plans');
  assert.equal(await europe.locator('.plans-title').textContent(), 'Europe\u00a0: forfaits eSIM');
  assert.equal(await europe.locator('.sim-root').getAttribute('class'), 'sim-root theme-dark');
  await japan.locator('.country-plans .choose').first().click();
  await japan.locator('form.checkout').waitFor();
  assert.equal(await europe.locator('form.checkout').count(), 0, 'the other widget did not move');
  assert.ok((await europe.locator('.plan-card').count()) > 0);
  await shot(page, 'two-widgets');
  assert.deepEqual(await seriousViolations(page), []);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a hostile host stylesheet leaves the widget intact', async () => {
  const page = await newPage(browser, { width: 375 });
  await page.goto(`${stack.urls.page}/hostile.html`);
  const widget = page.locator('#hostile-shop');
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
  const box = await widget.boundingBox();
  assert.ok(box.width <= 375, `fits the phone: ${box.width}`);
  await shot(page, 'hostile-host');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a keyboard-only journey', async () => {
  const page = await newPage(browser, { width: 1280 });
  await page.goto(`${stack.urls.page}/`);
  const widget = page.locator('#japan-shop');
  await widget.locator('.plans-title').waitFor();
  // Tab into the widget: "Change destination" is its first control.
  const focusedText = () => page.evaluate(() => {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    return el ? (el.textContent || el.getAttribute('aria-label') || el.tagName).trim() : '';
  });
  let found = false;
  for (let i = 0; i < 10 && !found; i++) {
    await page.keyboard.press('Tab');
    found = (await focusedText()) === 'Change destination';
  }
  assert.ok(found, 'reached the widget by Tab');
  const outline = await page.evaluate(() => {
    const host = document.querySelector('#japan-shop');
    return getComputedStyle(host.shadowRoot.activeElement).outlineStyle;
  });
  assert.equal(outline, 'solid', 'focus is visible');
  await page.keyboard.press('Enter');
  // The search takes the focus.
  const search = widget.locator('.search-input');
  await search.waitFor();
  await page.waitForFunction(() => {
    const root = document.querySelector('#japan-shop').shadowRoot;
    return root.activeElement && root.activeElement.classList.contains('search-input');
  });
  await page.keyboard.type('spain');
  // As a person would, wait for the suggestion before choosing it (the destinations
  // may still be on their way on a busy machine).
  await widget.locator('.search-option', { hasText: 'Spain' }).waitFor();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await widget.locator('.plans-title', { hasText: 'Spain' }).waitFor();
  // As a person would, wait for the plans to show before tabbing to one (on a busy
  // machine they may still be on their way).
  await widget.locator('.choose').first().waitFor();
  // To the first "Choose": past the switch, the chips and the sort control.
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press('Tab');
    if ((await focusedText()) === 'Choose') break;
  }
  assert.equal(await focusedText(), 'Choose');
  await page.keyboard.press('Enter');
  await widget.locator('input[type=email]').waitFor();
  assert.ok(await widget.locator('input[type=email]').evaluate((el) => el.getRootNode().activeElement === el),
    'the email field takes the focus');
  await page.keyboard.type('keys@example.com');
  await page.keyboard.press('Enter');
  await pay(page, CARD_OK, { keyboard: true });
  await page.waitForURL((u) => u.origin === stack.urls.page);
  await widget.locator('.qr svg').waitFor({ timeout: 20000 });
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
