// Buying an eSIM in a real browser against the demo stack: the blog (127.0.0.2) embeds
// the widget by its script tag from the CDN, under a strict CSP; the widget is a frame
// of the proxy (127.0.0.1, another site). The traveller's Pay in the frame sends the
// top page to the sandbox's payment page; back on the blog, the frame finds its order
// again (its partitioned cookie: Chromium gives a frame of another site no storage).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, launch, newPage, shot, decodeQr, pay, checkout, confirmPhone, seriousViolations, widgetFrame,
  crop, qrIn, CARD_OK, CARD_DECLINED, CARD_PROVISIONING_FAILS, chooseDestination } from '../lib/stack.mjs';
import { DEVICES } from '../lib/devices.mjs';
import { waitUntil } from '../lib/wait.mjs';

let stack;
let browser;
before(async () => { stack = await startStack(); browser = await launch(); });
after(async () => { await browser?.close(); await stack?.stop(); });

async function orderLpa(orderRef) {
  const r = await fetch(`${stack.urls.proxy}/api/orders/${orderRef}`);
  return (await r.json()).esim?.lpa;
}

for (const [label, width] of [['phone', 375], ['desktop', 1280]]) {
  test(`the full journey at ${width} px: destination, plan, email, payment, QR`, async () => {
    const page = await newPage(browser, { width });
    await page.goto(`${stack.urls.page}/`);
    const widget = widgetFrame(page, '#japan-shop');
    await widget.locator('.plans-title').waitFor();
    assert.equal(await widget.locator('.plans-title').textContent(), 'Japan eSIM plans');
    await shot(page, `picker-${label}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
    assert.equal(overflow, false, 'no horizontal scrolling');
    assert.deepEqual(await seriousViolations(page), [], 'picker: no serious accessibility violations');

    // The destination, by search.
    await widget.locator('.change').click();
    await widget.locator('.search-input').fill('japon');
    await chooseDestination(page, 'JP', '#japan-shop');
    await widget.locator('.plans-title').waitFor();

    await widget.locator('.country-plans .choose').first().click();
    await widget.locator('input[type=email]').waitFor();
    assert.deepEqual(await seriousViolations(page), [], 'checkout: no serious accessibility violations');
    await widget.locator('input[type=email]').fill('traveller@example.com');
    await confirmPhone(widget);
    // The tap in the frame sends the top page (not the frame) to the payment page.
    await widget.locator('.pay').click();
    await pay(page, CARD_OK);
    await page.waitForURL((u) => u.origin === stack.urls.page);
    await widget.locator('.qr svg').waitFor({ timeout: 20000 });
    assert.equal(await widget.locator('.status-message').textContent(), 'Your eSIM is ready.');
    const orderRef = (await widget.locator('.reference code').textContent()).trim();
    const lpa = await orderLpa(orderRef);
    assert.match(lpa, /^LPA:1\$/);
    assert.equal(await decodeQr(widget.locator('.qr')), lpa, 'the QR on screen is the order\'s LPA string');
    const codes = await widget.locator('.copy-value').allTextContents();
    assert.equal(codes.length, 2);
    assert.ok(lpa.includes(`$${codes[0]}$${codes[1]}`), 'SM-DP+ address and activation code shown');
    assert.equal(new URL(page.url()).hash, '', 'the return\'s fragment is cleaned from the address bar');
    assert.ok(!page.url().includes(orderRef), 'the order is not in the page\'s address');
    await widget.locator('.qr').scrollIntoViewIfNeeded();
    const png = await shot(page, `ready-${label}`);
    // The QR code is in the page's screenshot too: the frame's content is in it.
    const box = await widget.locator('.qr').boundingBox();
    const { x, y, ratio } = await page.evaluate(() => ({ x: window.scrollX, y: window.scrollY, ratio: window.devicePixelRatio }));
    assert.equal(qrIn(crop(png, { ...box, x: box.x + x - 8, y: box.y + y - 8, width: box.width + 16, height: box.height + 16 }, ratio)), lpa,
      'the screenshot of the page shows the frame\'s QR code');
    assert.deepEqual(await seriousViolations(page), [], 'ready: no serious accessibility violations');
    assert.deepEqual(page.problems, [], 'no console errors');
    await page.context().close();
  });
}

test('three travellers, one payment: three eSIMs, three different QR codes', async () => {
  const page = await newPage(browser, { width: 1280 });
  await page.goto(`${stack.urls.page}/`);
  const widget = widgetFrame(page, '#japan-shop');
  await widget.locator('.plans-title').waitFor();
  await widget.locator('.country-plans .choose').first().click();
  const unit = await widget.locator('.summary-price').textContent();
  await widget.locator('select.travellers').selectOption('3');
  const total = await widget.locator('.total').textContent();
  assert.match(total, /^Total for 3 travellers: /);
  // In minor units, as written: the total is three times the price, exactly.
  const minor = (price) => Number(price.replace(/[^0-9]/g, ''));
  const charged = total.split(': ')[1];
  assert.equal(minor(charged), 3 * minor(unit), `${charged} for 3 at ${unit}`);
  assert.ok((await widget.locator('.pay').textContent()).includes(charged), 'the button says the total');
  assert.deepEqual(await seriousViolations(page), [], 'checkout for several: no serious accessibility violations');
  await widget.locator('input[type=email]').fill('traveller@example.com');
  await confirmPhone(widget);
  await widget.locator('.pay').click();
  await pay(page, CARD_OK);
  await page.waitForURL((u) => u.origin === stack.urls.page);
  await widget.locator('.status-message', { hasText: 'Your 3 eSIMs are ready.' }).waitFor({ timeout: 20000 });
  const orderRef = (await widget.locator('.reference code').textContent()).trim();
  const order = await (await fetch(`${stack.urls.proxy}/api/orders/${orderRef}`)).json();
  assert.equal(order.lines_total, 3);
  const lpas = order.lines.map((l) => l.esim?.lpa);
  assert.equal(new Set(lpas).size, 3, 'three lines, three activation strings');
  for (const lpa of lpas) assert.match(lpa, /^LPA:1\$/);

  const cards = widget.locator('.traveller');
  assert.equal(await cards.count(), 3);
  assert.deepEqual(await widget.locator('.traveller-title').allTextContents(), ['Traveller 1', 'Traveller 2', 'Traveller 3']);
  assert.deepEqual(await cards.evaluateAll((all) => all.map((c) => c.classList.contains('open'))), [true, false, false], 'the first open');
  // The second by keyboard, the third by pointer.
  await cards.nth(1).locator('.traveller-summary').focus();
  await page.keyboard.press('Enter');
  await cards.nth(2).locator('.traveller-summary').click();
  const decoded = [];
  for (let i = 0; i < 3; i += 1) {
    const qr = cards.nth(i).locator('.qr');
    await qr.waitFor();
    await qr.scrollIntoViewIfNeeded();
    decoded.push(await decodeQr(qr));
  }
  // Read back from the pixels by jsQR, not by the widget's own encoder.
  assert.deepEqual(decoded, lpas, 'each card\'s QR code is its own line\'s activation string');
  await shot(page, 'ready-travellers');
  assert.deepEqual(await seriousViolations(page), [], 'ready for several: no serious accessibility violations');
  assert.deepEqual(page.problems, [], 'no console errors');
  await page.context().close();
});

test('a declined card, then a provisioning failure', async () => {
  const page = await newPage(browser);
  await page.goto(`${stack.urls.page}/`);
  const widget = widgetFrame(page, '#japan-shop');
  await widget.locator('.plans-title').waitFor();
  await checkout(page, widget);
  await pay(page, CARD_DECLINED);
  await page.waitForURL((u) => u.origin === stack.urls.page);
  await widget.locator('.status-message', { hasText: 'declined' }).waitFor({ timeout: 15000 });
  assert.equal(await widget.locator('.status-message').textContent(), 'Your payment was declined. No money was taken.');
  await shot(page, 'declined');
  assert.deepEqual(await seriousViolations(page), [], 'failure view: no serious accessibility violations');

  // Another purchase from the blog, whose eSIM cannot be prepared.
  await page.goto(`${stack.urls.page}/`);
  await widget.locator('.plans-title').waitFor();
  await checkout(page, widget);
  await pay(page, CARD_PROVISIONING_FAILS);
  await page.waitForURL((u) => u.origin === stack.urls.page);
  await widget.locator('.status-message', { hasText: 'prepare' }).waitFor({ timeout: 15000 });
  assert.match(await widget.locator('.status-message').textContent(), /couldn't prepare your eSIM/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

// "Choose again" after a declined payment reopens the checkout of the plan that was
// declined. In Chromium the frame (another site) has no storage: the plan comes from the
// order's view (`Screen::again_from`), not from the frame's saved orders.
test('a declined card: "Choose again" keeps the plan, though the frame has no storage (Chromium refuses it a frame of another site)', async () => {
  const page = await newPage(browser);
  await page.goto(`${stack.urls.page}/`);
  const widget = widgetFrame(page, '#japan-shop');
  await widget.locator('.plans-title').waitFor();
  const sku = await widget.locator('.country-plans .plan-card').first().getAttribute('data-sku');
  await checkout(page, widget);
  await pay(page, CARD_DECLINED);
  await page.waitForURL((u) => u.origin === stack.urls.page);
  await widget.locator('.status-message', { hasText: 'declined' }).waitFor({ timeout: 15000 });
  try {
    await widget.locator('.order > .button').click();
    await widget.locator('form.checkout').waitFor({ timeout: 10000 });
    const catalog = await (await fetch(`${stack.urls.proxy}/api/catalog?country=JP`)).json();
    assert.equal(await widget.locator('.summary-name').textContent(), catalog.plans.find((p) => p.sku === sku).name);
  } finally {
    await page.context().close();
  }
});

test('a reload while the eSIM is being prepared', async () => {
  const slow = await startStack({ activationDelayMs: 4000 });
  const page = await newPage(browser);
  await page.goto(`${slow.urls.page}/`);
  const widget = widgetFrame(page, '#japan-shop');
  await widget.locator('.plans-title').waitFor();
  await checkout(page, widget);
  await pay(page, CARD_OK);
  await page.waitForURL((u) => u.origin === slow.urls.page);
  await widget.locator('.step.current', { hasText: 'Preparing' }).waitFor({ timeout: 10000 });
  assert.deepEqual(await seriousViolations(page), [], 'status view: no serious accessibility violations');
  await shot(page, 'status-preparing');
  await page.reload();
  // The return's fragment is gone; the frame finds its unfinished order again (the
  // proxy's partitioned cookie, which no script reads).
  await widget.locator('.qr svg').waitFor({ timeout: 20000 });
  assert.equal(await widget.locator('.status-message').textContent(), 'Your eSIM is ready.');
  assert.deepEqual(page.problems, []);
  await page.context().close();
  await slow.stop();
});

test('cancel on the payment page returns to the chosen plan', async () => {
  const page = await newPage(browser);
  await page.goto(`${stack.urls.page}/`);
  const widget = widgetFrame(page, '#japan-shop');
  await widget.locator('.plans-title').waitFor();
  const sku = await widget.locator('.country-plans .plan-card').nth(1).getAttribute('data-sku');
  await widget.locator('.country-plans .choose').nth(1).click();
  await widget.locator('input[type=email]').fill('traveller@example.com');
  await confirmPhone(widget);
  await widget.locator('.pay').click();
  await page.waitForURL(/\/pay\/cs_/);
  await page.click('button[value=cancel]');
  await page.waitForURL((u) => u.origin === stack.urls.page);
  await widget.locator('form.checkout').waitFor();
  assert.ok(sku.startsWith('JP-'));
  assert.match(await widget.locator('.summary-name').textContent(), /Japan/);
  await page.context().close();
});

// "Is your phone ready for an eSIM?" under Pay (crates/widget-core/src/compat.rs), on
// the devices travellers buy on: what the browser tells of the device; Pay refused,
// and said why (the focus moved to the box), until "My phone supports eSIM and is
// unlocked" is ticked; a phone
// bought for from another device, whose platform is asked; and the ready view, after
// the payment page, for the phone the eSIM is for.
const IPHONE_STEP = 'iPhone: Settings › Mobile Service (Cellular on US iPhones) › Add eSIM › Use QR Code.';
const ANDROID_STEP = 'Android (Pixel): Settings › Network & internet › SIMs › Add eSIM.';
const SAMSUNG_STEP = 'Android (Samsung): Settings › Connections › SIM manager › Add eSIM.';
const CONFIRM_FIRST = 'Check that your phone takes an eSIM, then tick “My phone supports eSIM and is unlocked”.';
const OWN_SCREEN = 'A phone can\'t scan a QR code on its own screen: on the phone itself, use the one-tap install or enter the details by hand.';
for (const [device, { said, other, lead, steps }] of Object.entries({
  // This iPhone.
  'iphone-ios17': {
    said: 'This iPhone runs iOS 17.4, which supports eSIM: the iPhone XS, XR and later models have one.',
    other: null, lead: 'button install', steps: [IPHONE_STEP],
  },
  // From an Android phone, for another phone: an iPhone.
  android: {
    said: 'This phone runs Android 14: new enough for an eSIM, if its model has one.',
    other: 'iphone', lead: 'qr-figure', steps: [IPHONE_STEP],
  },
  // On a computer, for a phone: an Android one.
  desktop: {
    said: 'You\'re on a computer: the eSIM goes on the phone you travel with.',
    other: 'android', lead: 'qr-figure', steps: [ANDROID_STEP],
  },
})) {
  test(`${device}: the checkout asks whether the phone takes an eSIM before Pay works${other ? `, for another phone (${other})` : ''}`, async () => {
    const page = await newPage(browser, { ...DEVICES[device].context });
    await page.goto(`${stack.urls.page}/`);
    const widget = widgetFrame(page, '#japan-shop');
    await widget.locator('.country-plans .choose').first().click();
    await widget.locator('input[type=email]').fill('traveller@example.com');
    const compat = widget.locator('.compat');
    await compat.locator('.compat-device').waitFor();
    assert.equal(await compat.locator('legend').first().textContent(), 'Is your phone ready for an eSIM?');
    assert.equal(await compat.locator('.compat-device').textContent(), said);
    // Pay before confirming: nothing sent; the reason said in the status region and by
    // the box, which takes the focus.
    assert.equal(await widget.locator('.pay').getAttribute('aria-disabled'), 'true');
    // A tap all the same (Playwright waits for an aria-disabled button to be enabled).
    await widget.locator('.pay').click({ force: true });
    await widget.locator('.announcer', { hasText: CONFIRM_FIRST }).waitFor({ state: 'attached' });
    const confirm = compat.locator('.compat-confirm');
    assert.ok(await confirm.evaluate((el) => el.ownerDocument.activeElement === el), 'the focus on the box');
    assert.equal(await confirm.getAttribute('aria-invalid'), 'true');
    assert.equal(await compat.locator(`#${await confirm.getAttribute('aria-describedby')}`).textContent(), CONFIRM_FIRST);
    assert.ok(!/\/pay\/cs_/.test(page.url()), 'still on the blog');
    // How to check, and the list of phones, searched.
    await compat.locator('.compat-help > summary').click();
    await compat.locator('.compat-search').fill('galaxy s24');
    await compat.locator('.compat-found li', { hasText: 'Samsung Galaxy S24' }).first().waitFor();
    assert.ok((await compat.textContent()).includes('Dial *#06#: if a line labelled EID shows, the phone has an eSIM.'));
    assert.deepEqual(await seriousViolations(page), [], 'checkout with its compatibility step: no serious accessibility violations');
    await shot(page, `compat-${device}`);
    if (other) {
      if (device !== 'desktop') await compat.locator('.compat-other').check();
      await compat.locator(`.compat-phone input[value=${other}]`).check();
    } else {
      assert.equal(await compat.locator('.compat-phone').count(), 0, 'this phone: its platform is known');
    }
    await confirmPhone(widget);
    assert.equal(await widget.locator('.pay').getAttribute('aria-disabled'), 'false');
    await widget.locator('.pay').click();
    await pay(page, CARD_OK);
    await page.waitForURL((u) => u.origin === stack.urls.page);
    await widget.locator('.ready .copyable').first().waitFor({ timeout: 20000 });
    assert.equal(await widget.locator('.ready > :first-child').evaluate((el) => el.className), lead);
    const instructions = await widget.locator('.instructions li').allTextContents();
    for (const step of [IPHONE_STEP, ANDROID_STEP]) {
      assert.equal(instructions.includes(step), steps.includes(step), `${step} in ${instructions}`);
    }
    // Android's steps come for Pixel and Samsung alike.
    assert.equal(instructions.includes(SAMSUNG_STEP), steps.includes(ANDROID_STEP), `${SAMSUNG_STEP} in ${instructions}`);
    assert.ok(instructions.includes(OWN_SCREEN), `${instructions}`);
    assert.ok(instructions.some((i) => i.includes('an eSIM can\'t be installed twice')), 'the code installs once');
    assert.deepEqual(page.problems, [], 'no console errors');
    await page.context().close();
  });
}

// Issue 26, point 5: on a phone, the number of travellers, the total and Pay stay where
// they are with the step as without it (`compat-check="off"`): the step is under Pay,
// and what it says when Pay is pressed too early is said there. Measured in the frame,
// on the same checkout for two travellers, once the wasm has drawn the step.
for (const device of ['iphone-ios17', 'android']) {
  test(`${device}: the travellers, the total and Pay stay where they are with the compatibility step as without it`, async () => {
    const places = {};
    for (const check of ['off', 'required']) {
      const page = await newPage(browser, { ...DEVICES[device].context });
      // The attribute, set before the host script reads the element.
      await page.addInitScript((value) => {
        if (window.top !== window) return;
        new MutationObserver((_, observer) => {
          const shop = document.getElementById('japan-shop');
          if (!shop) return;
          observer.disconnect();
          shop.setAttribute('compat-check', value);
        }).observe(document, { childList: true, subtree: true });
      }, check);
      await page.goto(`${stack.urls.page}/`);
      const widget = widgetFrame(page, '#japan-shop');
      await widget.locator('.country-plans .choose').first().click();
      await widget.locator('select.travellers').selectOption('2');
      await widget.locator('input[type=email]').fill('traveller@example.com');
      await widget.locator('.total:not(:empty)').waitFor();
      // The wasm's checkout (not the proxy's, shown by a tap before the wasm is in).
      await waitUntil('the wasm in', () => widget.locator('body').evaluate(() => window.simologyFrame.taken));
      if (check === 'required') await widget.locator('.compat .compat-device').waitFor();
      assert.equal(await widget.locator('.compat').count(), check === 'off' ? 0 : 1);
      const where = () => widget.locator('form.checkout').evaluate((form) => {
        const y = (selector) => form.querySelector(selector).getBoundingClientRect().top + window.scrollY;
        return { travellers: y('select.travellers'), total: y('.total'), pay: y('.pay') };
      });
      places[check] = await where();
      if (check === 'required') {
        // Pay pressed before the box is ticked: said under Pay, nothing above it moves.
        await widget.locator('.pay').click({ force: true });
        await widget.locator('.compat .field-error:not(:empty)').waitFor();
        places.refused = await where();
      }
      await page.context().close();
    }
    for (const state of ['required', 'refused']) {
      for (const what of ['travellers', 'total', 'pay']) {
        assert.ok(Math.abs(places[state][what] - places.off[what]) <= 1,
          `${what}: ${places[state][what]} px (${state}) against ${places.off[what]} px without the step`);
      }
    }
  });
}
