// The frame's first screen (what replaced the loader's JavaScript pre-render): the proxy
// renders it with the widget's own components (Leptos on the server), so the first
// plans are in the frame's HTML and show before any wasm has run; the wasm then renders
// the same screen from the same data and takes the proxy's rendering's place with no
// visible change (the same elements, words and boxes, and nothing else painted in
// between); the focus and a changed sort go with it; a plan tapped before the wasm is
// in opens that plan's checkout once it is; a frame loads only the module it opens on;
// and a plan chosen in the picker module (which holds no checkout) brings the checkout
// module, the proxy's checkout of that plan showing meanwhile.
//
// Each case is the demo's blog page (its CSP) with its widget configured for the case,
// and the wasm's download held until the test lets it go.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, launch, newPage, widgetFrame, frameOf, checkout, confirmPhone, pay, CARD_DECLINED, chooseDestination } from '../lib/stack.mjs';
import { waitUntil } from '../lib/wait.mjs';

let stack;
let browser;
before(async () => { stack = await startStack(); browser = await launch(); });
after(async () => { await browser?.close(); await stack?.stop(); });

const WASM = /simology-esim-(picker|checkout|status)\.wasm$/;

// In the widget's frame: the proxy's rendering (the root parsed with the document,
// kept in `window.__first`), and every animation frame what the frame shows: the
// proxy's plans, the wasm's plans, or something else of either, or nothing.
const WATCH = `
  if (window.top !== window && location.pathname === '/embed') {
    window.__first = null;
    window.__frames = [];
    document.addEventListener('readystatechange', () => {
      if (document.readyState === 'interactive') window.__first = document.querySelector('#sim > .sim-root');
    });
    (function watch() {
      const root = document.querySelector('#sim > .sim-root');
      let state = 'none';
      if (root) {
        const cards = root.querySelectorAll('.plan-card[data-sku] .plan-price').length;
        const who = root === window.__first ? 'proxy' : 'wasm';
        state = cards > 0 ? who + '-plans' : who + '-other';
      }
      const last = window.__frames[window.__frames.length - 1];
      if (last !== state) window.__frames.push(state);
      requestAnimationFrame(watch);
    })();
  }`;

/** The frame's rendering as data: tags, sorted attributes (a class attribute as its
 * classes: the proxy's HTML may space them otherwise, which shows nothing), text
 * (comments and empty or split text nodes, which render nothing, left out), and each
 * element's box. */
function snapshot() {
  function node(n) {
    if (n.nodeType === Node.TEXT_NODE) return n.textContent;
    if (n.nodeType !== Node.ELEMENT_NODE) return null;
    const attributes = [...n.attributes]
      .map((a) => `${a.name}=${a.name === 'class' ? [...n.classList].join(' ') : a.value}`).sort();
    const children = [];
    for (const c of n.childNodes) {
      const v = node(c);
      if (v === null || v === '') continue;
      if (typeof v === 'string' && typeof children[children.length - 1] === 'string') children[children.length - 1] += v;
      else children.push(v);
    }
    const r = n.getBoundingClientRect();
    return { tag: n.tagName.toLowerCase(), attributes, children, box: [r.x, r.y, r.width, r.height].map(Math.round) };
  }
  return node(document.querySelector('#sim > .sim-root'));
}

/** The first place two snapshots differ, for the failure message. */
function difference(a, b, path = 'section') {
  if (typeof a === 'string' || typeof b === 'string') return a === b ? null : `${path}: text ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  if (a.tag !== b.tag) return `${path}: <${a.tag}> vs <${b.tag}>`;
  if (a.attributes.join(' ') !== b.attributes.join(' ')) return `${path}: [${a.attributes}] vs [${b.attributes}]`;
  if (a.children.length !== b.children.length) return `${path}: ${a.children.length} vs ${b.children.length} children`;
  for (let i = 0; i < a.children.length; i++) {
    const d = difference(a.children[i], b.children[i], `${path} > ${a.children[i].tag || 'text'}[${i}]`);
    if (d) return d;
  }
  return a.box.join() === b.box.join() ? null : `${path}: box ${a.box} vs ${b.box}`;
}

/** What the rendering shows of the picker's parts, so that each case is known to show
 * them (two renders equal in leaving something out would pass the comparison). */
function parts() {
  const texts = (selector) => [...document.querySelectorAll(selector)].map((e) => e.textContent);
  return {
    title: document.querySelector('.plans-title')?.textContent,
    scope: texts('.scope .scope-button'),
    pressed: [...document.querySelectorAll('.scope-button')].map((e) => e.getAttribute('aria-checked')),
    chips: texts('.chips:not([hidden]) .chip'),
    hiddenChips: document.querySelectorAll('.chips[hidden] .chip').length,
    badges: document.querySelectorAll('.best-value').length,
    units: texts('.plan-unit'),
    cards: document.querySelectorAll('.plan-card').length,
    list: document.querySelector('ul.plans')?.className,
  };
}

/**
 * The demo's blog page with its widget configured by `attributes` instead of its own,
 * its wasm downloads held until `release()`. Resolves once the frame's document is in
 * (the proxy's rendering), with the wasm modules asked for and the frame's document
 * as the proxy sent it.
 */
async function open(attributes, { width = 390, height = 1400, locale } = {}) {
  const page = await newPage(browser, { width, height, ...(locale ? { locale } : {}) });
  await page.addInitScript(WATCH);
  // Set before the widget's script (async) defines the element and reads them.
  await page.addInitScript((wanted) => {
    if (window.top !== window) return;
    new MutationObserver((_, observer) => {
      const el = document.querySelector('simology-esim');
      if (!el) return;
      observer.disconnect();
      for (const name of ['id', 'country', 'region', 'locale', 'theme', 'affiliate', 'placement']) el.removeAttribute(name);
      for (const [name, value] of Object.entries(wanted)) el.setAttribute(name, value);
    }).observe(document, { childList: true, subtree: true });
  }, attributes);
  const wasm = [];
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  await page.route(WASM, async (route) => {
    wasm.push(route.request().url().match(WASM)[1]);
    await released;
    await route.continue().catch(() => {});
  });
  const documents = [];
  page.on('response', (r) => { if (r.url().startsWith(`${stack.urls.proxy}/embed?`)) documents.push(r.text().catch(() => '')); });
  await page.goto(`${stack.urls.page}/`);
  await page.locator('simology-esim').scrollIntoViewIfNeeded();
  const frame = await frameOf(page);
  return { page, frame, wasm, release, widget: widgetFrame(page), html: () => documents[documents.length - 1] };
}

/** Waits until the wasm's rendering has taken the proxy's place, and has been painted. */
async function mounted(frame) {
  await frame.waitForFunction(() => window.__first !== null && !window.__first.isConnected
    && document.querySelector('#sim > .sim-root') !== null);
  await frame.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

const CASES = [
  {
    attributes: { id: 'japan-shop', country: 'JP', locale: 'en' }, what: 'a country with regional plans, English, JPY and USD',
    expect: (p) => {
      assert.equal(p.title, 'Japan eSIM plans');
      assert.deepEqual(p.scope, ['Japan only', 'Multi-country']);
      assert.deepEqual(p.pressed, ['true', 'false']);
      assert.ok(p.chips.includes('1–3\u00a0GB') && p.chips.includes('7 days'), `chips: ${p.chips}`);
      assert.ok(p.hiddenChips > 0, 'the regional plans\' chips wait hidden');
      assert.equal(p.badges, 1);
      assert.equal(p.list, 'plans country-plans');
      assert.equal(p.units.length, p.cards);
      assert.ok(p.units.every((u) => /^¥[0-9,]+\/GB$/.test(u)), `per GB: ${p.units}`);
    },
  },
  {
    attributes: { id: 'eu', region: 'europe', locale: 'fr', theme: 'dark' }, what: 'a region, French, dark',
    expect: (p) => {
      assert.deepEqual(p.scope, []);
      assert.equal(p.hiddenChips, 0);
      assert.ok(p.chips.includes('1\u00a0Go') && p.chips.includes('5–10\u00a0Go'), `chips: ${p.chips}`);
      assert.equal(p.list, 'plans regional-plans');
      assert.ok(p.units.length > 0 && p.units.every((u) => u.endsWith('\u00a0€/Go')), `per GB: ${p.units}`);
    },
  },
  {
    attributes: { id: 'us', country: 'us', locale: 'de' }, what: 'a sold-out plan, German, the code in lower case',
    expect: (p) => assert.equal(p.title, 'Vereinigte Staaten: eSIM-Tarife'),
  },
  {
    attributes: { id: 'gb', country: 'GB', locale: 'es', theme: 'light' }, what: 'Spanish, GBP',
    expect: (p) => assert.match(p.title, /Reino Unido/),
  },
  {
    attributes: { country: 'FR', locale: 'it-IT' }, what: 'Italian, EUR, no id (the instance is the host script\'s)',
    expect: (p) => assert.match(p.title, /Francia/),
  },
];

for (const { attributes, what, expect } of CASES) {
  test(`the proxy's first screen is the wasm's, before and after the swap: ${what}`, async () => {
    const { page, frame, wasm, release, html } = await open(attributes);
    // The plans show with the wasm held: they are the proxy's, in the document.
    await frame.locator('.plan-card[data-sku] .plan-price').first().waitFor();
    const served = await html();
    const skus = await frame.locator('.plan-card').evaluateAll((all) => all.map((c) => c.getAttribute('data-sku')));
    assert.ok(skus.length > 0 && skus.every((sku) => served.includes(`data-sku="${sku}"`)), 'every plan is in the frame\'s HTML');
    assert.deepEqual(wasm, ['picker'], 'the picker module, and only it, is on its way');
    assert.equal(await frame.evaluate(() => window.__first !== null && window.__first.isConnected), true, 'no wasm has run');
    const drawn = await frame.evaluate(snapshot);
    expect(await frame.evaluate(parts));
    release();
    await mounted(frame);
    const rendered = await frame.evaluate(snapshot);
    assert.equal(difference(drawn, rendered), null);
    assert.deepEqual(drawn, rendered);
    const frames = await frame.evaluate(() => window.__frames);
    const first = frames.indexOf('proxy-plans');
    assert.ok(first >= 0, `the proxy's plans were shown: ${frames}`);
    assert.deepEqual(frames.slice(first), ['proxy-plans', 'wasm-plans'], `from the first plans on, nothing else: ${frames}`);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
}

test('a plan tapped before the wasm is in: the proxy\'s checkout shows at once, and the wasm\'s carries on with what was typed', async () => {
  const { page, frame, wasm, release, widget } = await open({ id: 'japan-shop', country: 'JP' });
  const chosen = [];
  await page.exposeFunction('planChosen', (detail) => chosen.push(detail));
  await page.evaluate(() => document.addEventListener('simology:plan-chosen', (e) => window.planChosen(e.detail)));
  const second = widget.locator('.country-plans .plan-card').nth(1);
  const sku = await second.getAttribute('data-sku');
  const catalog = await (await fetch(`${stack.urls.proxy}/api/catalog?country=JP`)).json();
  const name = catalog.plans.find((p) => p.sku === sku).name;
  await second.locator('.choose').click();
  // The tapped plan's checkout, rendered by the proxy, before any wasm runs.
  await widget.locator('form.checkout').waitFor();
  assert.equal(await frame.evaluate(() => window.simologyFrame.taken), false, 'the wasm is not in yet');
  assert.equal(await widget.locator('.summary-name').textContent(), name);
  assert.ok(await frame.locator('.checkout-title').evaluate((el) => el.ownerDocument.activeElement === el),
    'the checkout\'s heading takes the focus, as after a click on the wasm\'s button');
  await widget.locator('input[type=email]').fill('early@example.com');
  // The proxy's checkout has no compatibility step (its bytes would come before the
  // first plan): its Pay says it does not buy yet, and does nothing before the wasm is
  // in: no checkout is sent, the page stays.
  assert.equal(await widget.locator('.compat').count(), 0);
  assert.equal(await widget.locator('.pay').getAttribute('aria-disabled'), 'true');
  const before = page.url();
  await widget.locator('.pay').click({ force: true });
  assert.equal(page.url(), before);
  release();
  await waitUntil('the wasm to take the checkout over', () => frame.evaluate(() => window.simologyFrame.taken));
  await widget.locator('form.checkout').waitFor();
  assert.equal(await widget.locator('.summary-name').textContent(), name);
  await waitUntil('the typed email in the wasm\'s form', async () =>
    (await widget.locator('input[type=email]').inputValue()) === 'early@example.com');
  // The wasm draws the step under Pay, still to be confirmed.
  await widget.locator('.compat .compat-confirm').waitFor();
  assert.equal(await widget.locator('.compat-confirm').isChecked(), false);
  assert.equal(await widget.locator('.pay').getAttribute('aria-disabled'), 'true');
  // The host page hears of it as of any choice.
  await waitUntil('simology:plan-chosen', () => chosen.length > 0);
  assert.equal(chosen[0].sku, sku);
  // The checkout module takes over (the picker's, if the frame's script had asked for
  // it before the tap, is not mounted).
  assert.equal(wasm[wasm.length - 1], 'checkout', `the modules asked for: ${wasm}`);
  assert.equal(await frame.evaluate(() => Boolean(window.simologyModules.checkout)), true);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('Pay pressed before the wasm is in: no checkout is sent until it is, then one, with what was typed', async () => {
  const { page, frame, release, widget } = await open({ id: 'japan-shop', country: 'JP' });
  const sent = [];
  page.on('request', (r) => { if (r.url().endsWith('/api/checkout')) sent.push(r.postDataJSON()); });
  await widget.locator('.country-plans .plan-card .choose').first().click();
  await widget.locator('form.checkout').waitFor();
  await widget.locator('input[type=email]').fill('early@example.com');
  const before = page.url();
  await widget.locator('.pay').click({ force: true });
  // Held: nothing sent, the page stays (the wasm is what sends a checkout).
  await widget.locator('.pay').evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.equal(page.url(), before);
  assert.equal(sent.length, 0);
  release();
  // The press is carried to the wasm's Pay, which first asks for the phone's
  // confirmation (the step is the wasm's): said, and the focus on the box.
  await frame.waitForFunction(() => document.activeElement?.classList.contains('compat-confirm'));
  await waitUntil('the reason said', async () => (await widget.locator('.announcer').textContent()) !== '');
  assert.equal(sent.length, 0, 'nothing sent before the phone is confirmed');
  assert.equal(await widget.locator('input[type=email]').inputValue(), 'early@example.com');
  await confirmPhone(widget);
  await widget.locator('.pay').click();
  await pay(page, CARD_DECLINED);
  assert.equal(sent.length, 1, 'one checkout, sent by the wasm');
  assert.equal(sent[0].email, 'early@example.com');
  await page.context().close();
});

test('Pay pressed before the wasm is in, the step off: the wasm sends that checkout once it is in', async () => {
  const { page, release, widget } = await open({ id: 'japan-shop', country: 'JP', 'compat-check': 'off' });
  const sent = [];
  page.on('request', (r) => { if (r.url().endsWith('/api/checkout')) sent.push(r.postDataJSON()); });
  await widget.locator('.country-plans .plan-card .choose').first().click();
  await widget.locator('form.checkout').waitFor();
  await widget.locator('input[type=email]').fill('early@example.com');
  await widget.locator('.pay').click();
  assert.equal(sent.length, 0);
  release();
  await pay(page, CARD_DECLINED);
  assert.equal(sent.length, 1, 'the press carried out, once');
  assert.equal(sent[0].email, 'early@example.com');
  await page.context().close();
});

test('the picker module holds no checkout: a choice brings the checkout module, the proxy\'s checkout of that plan meanwhile', async () => {
  const { page, frame, wasm, release, widget } = await open({ id: 'japan-shop', country: 'JP' });
  let letCheckout;
  const held = new Promise((resolve) => { letCheckout = resolve; });
  await page.route(/simology-esim-checkout\.wasm$/, async (route) => {
    wasm.push('checkout');
    await held;
    await route.continue().catch(() => {});
  });
  release();
  await mounted(frame);
  assert.deepEqual(wasm, ['picker'], 'before a choice, the picker module only');
  const second = widget.locator('.country-plans .plan-card').nth(1);
  const sku = await second.getAttribute('data-sku');
  const catalog = await (await fetch(`${stack.urls.proxy}/api/catalog?country=JP`)).json();
  const name = catalog.plans.find((p) => p.sku === sku).name;
  await second.locator('.choose').click();
  // At once: the proxy's checkout of that plan (the picker module's plans went), its
  // heading focused; the checkout module on its way.
  await widget.locator('form.checkout').waitFor();
  // Its wasm is asked for once its glue is in (the glue first, as for any module).
  await waitUntil('the checkout module asked for', () => wasm.length > 1);
  assert.deepEqual(wasm, ['picker', 'checkout']);
  const proxyForm = await frame.evaluateHandle(() => document.querySelector('form.checkout'));
  assert.ok(await frame.locator('.checkout-title').evaluate((el) => el.ownerDocument.activeElement === el), 'the checkout\'s heading has the focus');
  await widget.locator('input[type=email]').fill('chosen@example.com');
  await widget.locator('select.travellers').selectOption('2');
  letCheckout();
  await frame.waitForFunction((form) => !form.isConnected && document.querySelector('form.checkout') !== null, proxyForm);
  assert.equal(await widget.locator('input[type=email]').inputValue(), 'chosen@example.com');
  assert.equal(await widget.locator('select.travellers').inputValue(), '2');
  assert.equal(await widget.locator('.summary-name').textContent(), name);
  // The checkout module's own Back: the plans, drawn by it.
  await widget.locator('.checkout .back').click();
  await widget.locator('.country-plans .plan-card').first().waitFor();
  assert.deepEqual(page.problems, [], 'no console errors');
  await page.context().close();
});

test('a plan chosen in the picker module on another destination than the proxy rendered: the checkout module opens on it', async () => {
  const { page, frame, release, widget } = await open({ id: 'japan-shop', country: 'JP' });
  release();
  await mounted(frame);
  await widget.locator('.change').click();
  await widget.locator('.search-input').fill('france');
  await chooseDestination(page, 'FR');
  await widget.locator('.plans-title', { hasText: 'France' }).waitFor();
  const card = widget.locator('.plan-card').first();
  const catalog = await (await fetch(`${stack.urls.proxy}/api/catalog?country=FR`)).json();
  const sku = await card.getAttribute('data-sku');
  await card.locator('.choose').click();
  await widget.locator('form.checkout').waitFor();
  assert.equal(await widget.locator('.summary-name').textContent(), catalog.plans.find((p) => p.sku === sku).name);
  await frame.waitForFunction(() => document.activeElement?.classList.contains('checkout-title'));
  assert.deepEqual(page.problems, [], 'no console errors');
  await page.context().close();
});


test('the focus goes with the swap', async () => {
  for (const target of ['.sort-select', '.country-plans .plan-card:nth-child(3) .choose']) {
    const { page, frame, release } = await open({ id: 'japan-shop', country: 'JP' });
    await frame.locator(target).focus();
    const before = await frame.evaluate(() => {
      const el = document.activeElement;
      return { tag: el.tagName, cls: el.className, sku: el.closest('.plan-card')?.getAttribute('data-sku') ?? null };
    });
    release();
    await mounted(frame);
    const after = await frame.evaluate(() => {
      const el = document.activeElement;
      return { tag: el.tagName, cls: el.className, sku: el.closest('.plan-card')?.getAttribute('data-sku') ?? null, ours: el !== window.__first && !window.__first.contains(el) && el.isConnected };
    });
    assert.deepEqual(after, { ...before, ours: true }, `${target}: the wasm's same control has the focus`);
    assert.notEqual(before.tag, 'BODY');
    await page.context().close();
  }
});

test('a sort changed before the wasm is in is kept', async () => {
  const { page, frame, release, widget } = await open({ id: 'japan-shop', country: 'JP' });
  await widget.locator('.sort-select').selectOption('data');
  release();
  await mounted(frame);
  const catalog = await (await fetch(`${stack.urls.proxy}/api/catalog?country=JP`)).json();
  const most = catalog.plans.filter((p) => p.kind === 'country' && p.available).sort((a, b) => b.data_mb - a.data_mb)[0];
  await waitUntil('the wasm\'s plans sorted by data', async () =>
    (await widget.locator('.country-plans .plan-card').first().getAttribute('data-sku')) === most.sku);
  assert.equal(await widget.locator('.sort-select').inputValue(), 'data');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('back from payment: the proxy renders the order\'s frame busy, and only the status module loads', async () => {
  const { page, release, widget, wasm, html } = await open({ id: 'japan-shop', country: 'JP' });
  release();
  await widget.locator('.plans-title').waitFor();
  await checkout(page, widget);
  await pay(page, CARD_DECLINED);
  await page.waitForURL((u) => u.origin === stack.urls.page);
  await widget.locator('.status-message', { hasText: 'declined' }).waitFor();
  assert.deepEqual(wasm, ['picker', 'checkout', 'status'], 'the choice brought the checkout module; back from payment, the status module only');
  const served = await html();
  const sim = served.slice(served.indexOf('<div id="sim">'), served.indexOf('<template id="sim-failed">'));
  assert.ok(sim.includes('aria-busy="true"') && !sim.includes('plan-card'), `no plans in the order's document: ${sim}`);
  assert.ok(/"order":"o_[0-9a-f]{32}"/.test(served), 'the proxy found the order (its cookie)');
  await page.context().close();
});

test('a module that fails its integrity check: the frame says so, in its language, and shows no plans after', async () => {
  const page = await newPage(browser, { width: 390, locale: 'fr-FR' });
  await page.route(WASM, (route) => route.fulfill({ status: 200, contentType: 'application/wasm', body: Buffer.from([0, 97, 115, 109, 1, 0, 0, 0]) }));
  await page.goto(`${stack.urls.page}/`);
  const widget = widgetFrame(page);
  const alert = widget.getByRole('alert');
  await alert.waitFor();
  assert.equal((await alert.textContent()).trim(), 'La boutique eSIM n’a pas pu se charger. Rechargez la page.');
  assert.equal(await widget.locator('.plan-card').count(), 0, 'the proxy\'s plans went with the failure');
  assert.ok(page.problems.some((p) => p.includes('is not the file this frame pins')), `the console names the check: ${page.problems}`);
  // The frame is there (it said hello): the host page's own message stays hidden.
  assert.equal(await page.locator('simology-esim .down').isVisible(), false);
  await page.context().close();
});
