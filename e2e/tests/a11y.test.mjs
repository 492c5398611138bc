// Beyond axe: what a screen-reader, keyboard or high-contrast user meets in the widget,
// read from the browser itself. On the picker, checkout, status and ready screens, in
// light, dark and forced colours (Windows high contrast, emulated):
// - the focus after each move the traveller starts (choosing a plan, "Choose a plan"
//   and "Buy another eSIM" from an order, "Show all plans", Try again, a Pay that fails)
//   lands inside the widget's frame on what comes next, never on the frame's <body>;
//   nothing takes it on page load, not even back from a cancelled payment;
// - no two controls of a screen share an accessible name (Playwright's ariaSnapshot of
//   the frame's document: the browser's accessibility tree), and each screen has a
//   heading;
// - the widget's one polite status region says "Activation code copied" after a copy
//   and "N plans shown" after a filter ("No plan matches these filters." for none);
// - in forced colours, a pressed chip differs from an unpressed one by more than colour.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, launch, newPage, pay, confirmPhone, widgetFrame, frameOf, evidence, CARD_OK, CARD_DECLINED, chooseDestination } from '../lib/stack.mjs';
import { waitUntil } from '../lib/wait.mjs';
import { DEVICES } from '../lib/devices.mjs';

let stack;
let browser;
before(async () => { stack = await startStack(); browser = await launch(); });
after(async () => { await browser?.close(); await stack?.stop(); });

const HOST = '#japan-shop';
const MODES = ['light', 'dark', 'forced'];
/** The roles of controls: what a screen reader's list of controls reads. */
const CONTROLS = new Set(['button', 'link', 'combobox', 'textbox', 'searchbox', 'radio', 'checkbox', 'switch',
  'spinbutton', 'slider', 'tab', 'menuitem']);

/** A page of the blog on a computer in `mode`: its colour scheme, or forced colours. */
async function modePage(mode) {
  const page = await newPage(browser, { ...DEVICES.desktop.context, colorScheme: mode === 'dark' ? 'dark' : 'light' });
  if (mode === 'forced') await page.emulateMedia({ forcedColors: 'active' });
  await page.goto(`${stack.urls.page}/`);
  await widgetFrame(page, HOST).locator('.plans-title').waitFor();
  if (mode === 'forced') {
    const frame = await frameOf(page, HOST);
    assert.ok(await frame.evaluate(() => matchMedia('(forced-colors: active)').matches), 'the frame is in forced colours');
  }
  return page;
}

/** What has the focus in the widget's frame (and whether the frame's body does). */
async function focus(page) {
  const frame = await frameOf(page, HOST);
  return frame.evaluate(() => {
    const el = document.activeElement;
    return {
      body: !el || el === document.body,
      tag: el ? el.tagName.toLowerCase() : null,
      cls: el && typeof el.className === 'string' ? el.className : '',
      text: el ? (el.getAttribute('aria-label') || el.textContent || '').trim() : '',
    };
  });
}

/** Waits until the focus in the frame is on `selector`'s element (never the body). */
async function focusOn(page, selector, what) {
  const frame = await frameOf(page, HOST);
  await waitUntil(`the focus on ${what}`, () => frame.evaluate((s) => {
    const el = document.querySelector(s);
    return el !== null && document.activeElement === el;
  }, selector), { timeout: 5000 }).catch(async () => {
    assert.fail(`${what}: the focus is on ${JSON.stringify(await focus(page))}, not ${selector}`);
  });
  assert.equal((await focus(page)).body, false);
}

/** The controls of the frame's screen, each as role and accessible name. */
async function controls(page) {
  const yaml = await widgetFrame(page, HOST).locator('body').ariaSnapshot();
  const found = [];
  for (const line of yaml.split('\n')) {
    const m = line.match(/^\s*- (\w+)(?: "((?:[^"\\]|\\.)*)")?/);
    if (m && CONTROLS.has(m[1])) found.push({ role: m[1], name: (m[2] ?? '').replace(/\\(.)/g, '$1') });
  }
  return { found, yaml };
}

/** No control without a name, no two with the same one, and a heading on the screen. */
async function namesUnique(page, screen) {
  const { found, yaml } = await controls(page);
  assert.ok(found.length > 0, `${screen}: controls found\n${yaml}`);
  const seen = new Map();
  for (const { role, name } of found) {
    assert.notEqual(name.trim(), '', `${screen}: a ${role} without a name\n${yaml}`);
    assert.ok(!seen.has(name), `${screen}: "${name}" names a ${seen.get(name)} and a ${role}\n${yaml}`);
    seen.set(name, role);
  }
  assert.match(yaml, /- heading "[^"]+" \[level=2\]/, `${screen}: a heading\n${yaml}`);
  return found;
}

/** The widget's polite status region, until it says `text` (a string or a pattern). */
async function spoken(page, text) {
  const region = widgetFrame(page, HOST).locator('.announcer');
  assert.equal(await region.getAttribute('role'), 'status');
  assert.equal(await region.getAttribute('aria-live'), 'polite');
  let last = '';
  await waitUntil(`the status region to say ${text}`, async () => {
    last = (await region.textContent()).replace(/\u00a0+$/, '');
    return typeof text === 'string' ? last === text : text.test(last);
  }, { timeout: 5000 }).catch(() => assert.fail(`the status region says "${last}", not ${text}`));
  return last;
}

/** The plans shown in the list on screen. */
async function shownPlans(page) {
  return widgetFrame(page, HOST).locator('.plans:not([hidden]) .plan-card').count();
}

/** The checkout of the first plan: by the keyboard's Enter on its Choose button. */
async function choose(page) {
  const widget = widgetFrame(page, HOST);
  await widget.locator('.country-plans .choose').first().focus();
  await page.keyboard.press('Enter');
  await widget.locator('form.checkout').waitFor();
}

for (const mode of MODES) {
  test(`${mode}: picker and checkout, names, focus and the status region`, async () => {
    const page = await modePage(mode);
    await evidence(page, `a11y-picker-${mode}`, async () => {
      const widget = widgetFrame(page, HOST);
      // Page load: nothing takes the focus, neither in the frame nor the frame itself.
      assert.equal((await focus(page)).body, true, 'nothing focused in the frame on page load');
      assert.notEqual(await page.evaluate(() => document.activeElement?.tagName), 'SIMOLOGY-ESIM');

      const picker = await namesUnique(page, 'picker');
      const chooses = picker.filter((c) => /^Choose /.test(c.name));
      assert.ok(chooses.length >= 2, 'each plan has a Choose button of its own');
      for (const c of chooses) assert.match(c.name, /^Choose \d+(\.\d)?[\s\u00a0](GB|MB), \d+ days?, .+/, c.name);

      // A filter: the count spoken, the chip keeping the focus.
      const before = await shownPlans(page);
      const chips = widget.locator('.chips:not([hidden]) .chip');
      let pressed = null;
      for (let i = 0; i < await chips.count(); i += 1) {
        await chips.nth(i).focus();
        await page.keyboard.press('Enter');
        const now = await shownPlans(page);
        if (now !== before) { pressed = i; break; }
        await page.keyboard.press('Enter');
      }
      assert.notEqual(pressed, null, 'a chip that changes the plans shown');
      const after = await shownPlans(page);
      await spoken(page, after === 1 ? '1 plan shown' : `${after} plans shown`);
      await focusOn(page, `.chips:not([hidden]) .chip:nth-of-type(${pressed + 1})`, 'the pressed chip');

      if (mode === 'forced') {
        // Pressed and unpressed chips differ without colour: a mark and a border.
        const looks = await (await frameOf(page, HOST)).evaluate(() => {
          const look = (el) => ({
            mark: getComputedStyle(el, '::before').content,
            border: getComputedStyle(el).borderTopWidth,
          });
          return {
            pressed: look(document.querySelector('.chip[aria-pressed="true"]')),
            unpressed: look(document.querySelector('.chips:not([hidden]) .chip[aria-pressed="false"]')),
          };
        });
        assert.match(looks.pressed.mark, /✓/, `a pressed chip's mark: ${JSON.stringify(looks)}`);
        assert.doesNotMatch(looks.unpressed.mark, /✓/, JSON.stringify(looks));
        assert.notEqual(looks.pressed.border, looks.unpressed.border, `borders: ${JSON.stringify(looks)}`);
      }

      // Filters that match nothing: "No plan matches", then "Show all plans" gives the
      // focus to the first chip.
      const rows = widget.locator('.chips:not([hidden])');
      for (let r = 0; r < await rows.count() && !(await widget.locator('.clear-filters').count()); r += 1) {
        const row = rows.nth(r).locator('.chip');
        for (let i = 0; i < await row.count() && !(await widget.locator('.clear-filters').count()); i += 1) {
          if (await row.nth(i).getAttribute('aria-pressed') === 'false') await row.nth(i).click();
        }
      }
      assert.equal(await widget.locator('.clear-filters').count(), 1, 'filters that match no plan');
      await spoken(page, 'No plan matches these filters.');
      await widget.locator('.clear-filters').focus();
      await page.keyboard.press('Enter');
      await focusOn(page, '.chips:not([hidden]) .chip', 'the first chip after "Show all plans"');
      await spoken(page, `${before} plans shown`);

      // Choosing a plan: the checkout's heading.
      await choose(page);
      await focusOn(page, '.checkout-title', 'the checkout\'s heading after Choose');
      await widget.locator('select.travellers').selectOption('2');
      await namesUnique(page, 'checkout');
      // Back: the plans' heading.
      await widget.locator('.checkout .back').focus();
      await page.keyboard.press('Enter');
      await focusOn(page, '.plans-title', 'the plans\' heading after Back');
      assert.deepEqual(page.problems, []);
    });
    await page.context().close();
  });
}

test('a Pay that fails keeps the focus, and says it is busy', async () => {
  const page = await modePage('light');
  await evidence(page, 'a11y-pay-fails', async () => {
    const widget = widgetFrame(page, HOST);
    // The shop answers the checkout with a failure (after it was sent: the button busy).
    await page.context().route('**/api/checkout', (route) => route.fulfill({
      status: 503, contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'upstream_unavailable', message: 'down' } }),
    }));
    await choose(page);
    await widget.locator('input[type=email]').fill('traveller@example.com');
    await confirmPhone(widget);
    await widget.locator('.pay').focus();
    await page.keyboard.press('Enter');
    await spoken(page, 'Taking you to secure payment…');
    await waitUntil('the failure', async () => ((await widget.locator('.checkout .form-error').textContent()) || '').length > 0);
    await focusOn(page, '.pay', 'Pay, after its purchase failed');
    assert.equal(await widget.locator('.pay').getAttribute('aria-disabled'), 'false');
    assert.equal(await widget.locator('.pay').getAttribute('disabled'), null, 'never disabled: it would drop the focus');
  });
  await page.context().close();
});

test('Try again keeps the focus in the widget: on the plans\' heading', async () => {
  const page = await modePage('light');
  await evidence(page, 'a11y-retry', async () => {
    const widget = widgetFrame(page, HOST);
    let fail = true;
    await page.context().route('**/api/catalog?*', (route) => (fail
      ? route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'upstream_unavailable', message: 'down' } }) })
      : route.continue()));
    await widget.locator('.change').click();
    await focusOn(page, '.search-input', 'the search after "Change destination"');
    await namesUnique(page, 'search');
    await widget.locator('.search-input').fill('france');
    await chooseDestination(page, 'FR', HOST);
    await widget.locator('.plans-view .retry').waitFor();
    fail = false;
    await widget.locator('.plans-view .retry').focus();
    await page.keyboard.press('Enter');
    await focusOn(page, '.plans-title', 'the plans\' heading after Try again');
    await widget.locator('.plan-card').first().waitFor();
    assert.equal((await focus(page)).body, false);
  });
  await page.context().close();
});

for (const mode of MODES) {
  test(`${mode}: status and ready screens, copies spoken, focus from the order`, async () => {
    const page = await modePage(mode);
    await evidence(page, `a11y-order-${mode}`, async () => {
      let widget = widgetFrame(page, HOST);
      // A declined card: the status screen.
      await choose(page);
      await widget.locator('input[type=email]').fill('traveller@example.com');
      await confirmPhone(widget);
      await widget.locator('.pay').click();
      await pay(page, CARD_DECLINED);
      await page.waitForURL((u) => u.origin === stack.urls.page);
      widget = widgetFrame(page, HOST);
      await widget.locator('.choose-again').waitFor({ timeout: 20000 });
      assert.equal((await focus(page)).body, true, 'nothing focused on the return from the payment page');
      await namesUnique(page, 'status');
      // "Choose a plan": the checkout of that plan again, its heading focused.
      await widget.locator('.choose-again').focus();
      await page.keyboard.press('Enter');
      await focusOn(page, '.checkout-title', 'the checkout\'s heading after "Choose a plan"');

      // Two travellers, paid: the ready screen with a card each.
      await widget.locator('select.travellers').selectOption('2');
      await widget.locator('input[type=email]').fill('traveller@example.com');
      await confirmPhone(widget);
      await widget.locator('.pay').click();
      await pay(page, CARD_OK);
      await page.waitForURL((u) => u.origin === stack.urls.page);
      widget = widgetFrame(page, HOST);
      await widget.locator('.status-message', { hasText: 'Your 2 eSIMs are ready.' }).waitFor({ timeout: 30000 });
      assert.equal((await focus(page)).body, true, 'nothing focused on page load');
      const second = widget.locator('.traveller').nth(1);
      await second.locator('h3 > button.traveller-summary').click();
      await second.locator('.copy-value').first().waitFor();
      // Each line's top-ups are in (their buttons are controls of this screen too).
      await widget.locator('.topups').nth(1).waitFor({ timeout: 5000 }).catch(() => {});
      const ready = await namesUnique(page, 'ready');
      assert.ok(ready.some((c) => c.name === 'Copy activation code, traveller 2'), 'the copy buttons say what and whose');

      // A copy, spoken.
      await page.context().grantPermissions(['clipboard-write'], { origin: stack.urls.proxy });
      await widget.getByRole('button', { name: 'Copy activation code, traveller 2' }).click();
      await spoken(page, 'Activation code copied');
      await widget.getByRole('button', { name: 'Copy SM-DP+ address, traveller 1' }).click();
      await spoken(page, 'SM-DP+ address copied');

      // "Buy another eSIM": the search, focused.
      await widget.locator('.new-purchase').focus();
      await page.keyboard.press('Enter');
      await focusOn(page, '.search-input', 'the search after "Buy another eSIM"');
      assert.deepEqual(page.problems, []);
    });
    await page.context().close();
  });
}

test('back from a cancelled payment: the checkout again, and nothing takes the focus', async () => {
  const page = await modePage('light');
  await evidence(page, 'a11y-cancelled', async () => {
    let widget = widgetFrame(page, HOST);
    await choose(page);
    await widget.locator('input[type=email]').fill('traveller@example.com');
    await confirmPhone(widget);
    await widget.locator('.pay').click();
    await page.waitForURL(/\/pay\/cs_/);
    await page.click('button.cancel');
    await page.waitForURL((u) => u.origin === stack.urls.page);
    widget = widgetFrame(page, HOST);
    await widget.locator('form.checkout').waitFor({ timeout: 20000 });
    await widget.locator('.checkout-title').waitFor();
    const f = await focus(page);
    assert.equal(f.body, true, `nothing takes the focus on page load: ${JSON.stringify(f)}`);
    assert.notEqual(await page.evaluate(() => document.activeElement?.tagName), 'SIMOLOGY-ESIM');
  });
  await page.context().close();
});
