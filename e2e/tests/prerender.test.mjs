// The loader's side of a first visit (loader/simology-esim.js, loader/prerender.js):
// the plans it draws from the catalogue before the wasm is in are the wasm's own first
// render, element for element, word for word and pixel for pixel; they stay the page's
// elements until the traveller acts, and the wasm's then take their place without a
// frame of anything else; what the traveller did to them is done again; and a page
// loads only the wasm module it opens on.
//
// Each case is the demo's blog page (its CSP) with its widget configured for the case,
// and the wasm's download held until the test lets it go, so the drawn plans can be
// read before the wasm replaces them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, launch, newPage, checkout, pay, CARD_DECLINED } from '../lib/stack.mjs';
import { waitUntil } from '../lib/wait.mjs';

let stack;
let browser;
before(async () => { stack = await startStack(); browser = await launch(); });
after(async () => { await browser?.close(); await stack?.stop(); });

const WASM = /simology-esim-(picker|status)\.wasm$/;

// Every animation frame, what the first widget shows: nothing yet, the placeholder,
// plans drawn by the loader, plans rendered by the wasm (Leptos marks its views with
// comment nodes), or something else.
const FRAMES = `
  window.__frames = [];
  (function watch() {
    const host = document.querySelector('simology-esim');
    const root = host && host.shadowRoot;
    let state = 'none';
    if (root) {
      const cards = root.querySelectorAll('.plan-card[data-sku] .plan-price').length;
      const wasm = document.createTreeWalker(root, NodeFilter.SHOW_COMMENT).nextNode() !== null;
      if (root.querySelector('.wait')) state = 'placeholder';
      else if (cards > 0) state = wasm ? 'wasm-plans' : 'drawn-plans';
      else state = wasm ? 'wasm-other' : 'other';
    }
    const last = window.__frames[window.__frames.length - 1];
    if (!last || last !== state) window.__frames.push(state);
    requestAnimationFrame(watch);
  })();`;

// When a wasm module has been instantiated (the glue instantiates through this).
const INSTANTIATED = `
  window.__instantiated = 0;
  const instantiate = WebAssembly.instantiateStreaming;
  WebAssembly.instantiateStreaming = (...args) => instantiate(...args).then((r) => { window.__instantiated += 1; return r; });`;

/** Waits until the page's first wasm module is instantiated and the loader has done
 * what it does then (its promise callbacks run before the next animation frame). */
async function instantiated(page) {
  await page.waitForFunction(() => window.__instantiated > 0);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
}

/** The traveller's first action that changes nothing: the sort chosen again. */
async function sameSort(host) {
  await host.locator('.sort-select').evaluate((el) => el.dispatchEvent(new Event('change', { bubbles: true })));
}

/** The widget's tree as data: tags, sorted attributes, text (comments and empty or
 * split text nodes, which render nothing, left out), and each element's box. */
function snapshot(host) {
  function node(n) {
    if (n.nodeType === Node.TEXT_NODE) return n.textContent;
    if (n.nodeType !== Node.ELEMENT_NODE) return null;
    const attributes = [...n.attributes].map((a) => `${a.name}=${a.value}`).sort();
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
  return node(host.shadowRoot.querySelector('.sim-root'));
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

/** The demo's blog page with its widget configured by `attributes` instead of its
 * own, whose wasm downloads wait for `release()`. */
async function open(attributes, { width = 390, hash = '', storage = null } = {}) {
  const page = await newPage(browser, { width });
  await page.addInitScript(FRAMES);
  await page.addInitScript(INSTANTIATED);
  // Set before the widget's script (async) defines the element and reads them.
  await page.addInitScript((wanted) => {
    new MutationObserver((_, observer) => {
      const el = document.querySelector('simology-esim');
      if (!el) return;
      observer.disconnect();
      for (const name of ['id', 'country', 'region', 'locale', 'theme']) el.removeAttribute(name);
      for (const [name, value] of Object.entries(wanted)) el.setAttribute(name, value);
    }).observe(document, { childList: true, subtree: true });
  }, attributes);
  if (storage) await page.addInitScript((value) => localStorage.setItem('simology-esim.orders', value), storage);
  const wasm = [];
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  await page.route(WASM, async (route) => {
    wasm.push(route.request().url().match(WASM)[1]);
    await released;
    await route.continue();
  });
  await page.goto(`${stack.urls.page}/${hash}`);
  return { page, wasm, release, host: page.locator('simology-esim') };
}

/** Waits until the wasm has taken the widget over (its comment markers are in). */
async function wasmMounted(page) {
  await page.waitForFunction(() => {
    const root = document.querySelector('simology-esim').shadowRoot;
    return document.createTreeWalker(root, NodeFilter.SHOW_COMMENT).nextNode() !== null;
  });
}

/** What the drawing shows of the picker's parts, so that each case is known to draw
 * them (two renders equal in leaving something out would pass the comparison). */
function parts(host) {
  const root = host.shadowRoot;
  const texts = (selector) => [...root.querySelectorAll(selector)].map((e) => e.textContent);
  return {
    scope: texts('.scope .scope-button'),
    pressed: [...root.querySelectorAll('.scope-button')].map((e) => e.getAttribute('aria-pressed')),
    chips: texts('.chips:not([hidden]) .chip'),
    hiddenChips: root.querySelectorAll('.chips[hidden] .chip').length,
    best: [...root.querySelectorAll('.plan-card.best')].map((e) => e.getAttribute('data-sku')),
    badges: root.querySelectorAll('.best-value').length,
    units: texts('.plan-unit'),
    cards: root.querySelectorAll('.plan-card').length,
    list: root.querySelector('ul.plans').className,
  };
}

const CASES = [
  {
    attributes: { id: 'japan-shop', country: 'JP', locale: 'en' }, what: 'a country with regional plans, English, JPY and USD',
    expect: (p) => {
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
  { attributes: { id: 'us', country: 'us', locale: 'de' }, what: 'a sold-out plan, German, the code in lower case' },
  { attributes: { id: 'gb', country: 'GB', locale: 'es', theme: 'light' }, what: 'Spanish, GBP' },
  { attributes: { country: 'FR', locale: 'it-IT' }, what: 'Italian, EUR, no id (the instance is the loader\'s)' },
];

for (const { attributes, what, expect } of CASES) {
  test(`the drawn plans are the wasm's first render: ${what}`, async () => {
    const { page, wasm, release, host } = await open(attributes);
    await host.locator('.plan-card[data-sku] .plan-price').first().waitFor();
    const drawn = await host.evaluate(snapshot);
    if (expect) expect(await host.evaluate(parts));
    assert.deepEqual(wasm, ['picker'], 'the picker module, and only it, is on its way');
    release();
    await instantiated(page);
    // The wasm's elements take the drawing's place at the first action.
    await sameSort(host);
    await wasmMounted(page);
    // The wasm's plans are in (the first frame after the mount).
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
    const rendered = await host.evaluate(snapshot);
    assert.equal(difference(drawn, rendered), null);
    assert.deepEqual(drawn, rendered);
    const frames = await page.evaluate(() => window.__frames);
    const first = frames.indexOf('drawn-plans');
    assert.ok(first >= 0, `plans were drawn before the wasm: ${frames}`);
    assert.deepEqual(frames.slice(first), ['drawn-plans', 'wasm-plans'], `from the first plans on, nothing else: ${frames}`);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
}

/** The demo's blog page with its widget on country `code` in `locale`, the proxy's
 * catalogue answer for it replaced by `catalogue`, the wasm held until `release()`. */
async function crafted(code, locale, catalogue) {
  const page = await newPage(browser, { width: 390 });
  await page.addInitScript(({ code, locale }) => {
    new MutationObserver((_, observer) => {
      const el = document.querySelector('simology-esim');
      if (!el) return;
      observer.disconnect();
      el.setAttribute('country', code);
      if (locale) el.setAttribute('locale', locale);
    }).observe(document, { childList: true, subtree: true });
  }, { code, locale });
  await page.route(`${stack.urls.proxy}/api/catalog?country=${code}`, (route) => route.fulfill({
    status: 200, contentType: 'application/json', body: JSON.stringify(catalogue),
    headers: { 'access-control-allow-origin': stack.urls.page },
  }));
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  await page.route(WASM, async (route) => { await released; await route.continue(); });
  await page.goto(`${stack.urls.page}/`);
  const host = page.locator('simology-esim');
  await host.locator('.plan-card[data-sku] .plan-price').first().waitFor();
  return { page, release, host };
}

/** The wasm in (the first action taken), its snapshot. */
async function wasmSnapshot(page, host) {
  await sameSort(host);
  await wasmMounted(page);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
  return host.evaluate(snapshot);
}

test('numbers past 2^53, megabytes, bundles only and SKUs past U+FFFF: drawn exactly as the wasm renders them', async () => {
  const plan = (sku, data_mb, validity_days, minor, currency, available = true) => ({
    sku, name: sku, kind: 'region', destination: 'asia', coverage: ['JP', 'KR'], data_mb, validity_days,
    price: { minor, currency, decimals: currency === 'JPY' ? 0 : 2 }, available, terms_url: 'https://terms.example/',
  });
  // A is cheaper a MB than B by less than a double can tell (their cross-products are
  // equal as doubles), and has less data: only exact arithmetic gives A the badge.
  const A = plan('USD-A', 4503599627370500, 90, 4503599627370499, 'USD');
  const B = plan('USD-B', 4503599627370501, 365, 4503599627370500, 'USD');
  assert.equal(A.price.minor * B.data_mb, B.price.minor * A.data_mb, 'the doubles cannot tell them apart');
  const catalogue = {
    destination: { kind: 'country', code: 'XZ', name: 'Nowhere', plan_count: 8, lowest_price: null, countries: ['XZ'] },
    plans: [
      plan('EUR-512', 512, 1, 200, 'EUR'),
      plan('EUR-1536', 1536, 7, 500, 'EUR'),
      plan('EUR-20G', 20480, 30, 4000, 'EUR'),
      // Equal prices: Rust orders the SKUs by code point, where U+1F600 comes after U+FFFD.
      plan('S-\u{1F600}', 1024, 7, 450, 'EUR'),
      plan('S-\uFFFD', 1024, 7, 450, 'EUR'),
      plan('EUR-sold-out', 3072, 15, 100, 'EUR', false),
      B, A,
      // The price of a GB past 2^53: ¥(2^53 - 1) × 1024 / 3, rounded half up.
      plan('JPY-BIG', 3, 7, Number.MAX_SAFE_INTEGER, 'JPY'),
    ],
    updated_at: '2026-01-01T00:00:00Z',
  };
  const { page, release, host } = await crafted('XZ', 'fr', catalogue);
  const drawn = await host.evaluate(snapshot);
  const p = await host.evaluate(parts);
  assert.deepEqual(p.scope, [], 'bundles only: no switch');
  assert.equal(p.list, 'plans regional-plans');
  // The best value of each currency with two plans or more: euros and dollars, not yen.
  assert.deepEqual(p.best.sort(), ['EUR-20G', 'USD-A']);
  assert.deepEqual(p.chips, ['3\u00a0Mo–3\u00a0Go', '20–4\u202f398\u202f046\u202f511\u202f104\u00a0Go',
    '1–7 jours', '15 jours', '30 jours', '90–365 jours']);
  const yen = ((BigInt(Number.MAX_SAFE_INTEGER) * 2048n + 3n) / 6n).toString().replace(/\B(?=(\d{3})+$)/g, '\u202f');
  assert.ok(p.units.includes(`${yen}\u00a0JPY/Go`), `per GB: ${p.units}`);
  const skus = await host.evaluate((el) => [...el.shadowRoot.querySelectorAll('.plan-card')].map((c) => c.getAttribute('data-sku')));
  assert.ok(skus.indexOf('S-\uFFFD') < skus.indexOf('S-\u{1F600}'), `order: ${skus}`);
  assert.equal(skus[skus.length - 1], 'EUR-sold-out');
  release();
  assert.equal(difference(drawn, await wasmSnapshot(page, host)), null);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('hostile upstream text is drawn as text, as the wasm renders it', async () => {
  const hostile = {
    destination: { kind: 'country', code: 'XZ', name: '<b>Nowhere</b>', plan_count: 2, lowest_price: null, countries: ['XZ'] },
    plans: [
      { sku: 'XZ-1GB"><img src=x onerror=alert(1)>', name: '<script>alert(1)</script>', kind: 'country', destination: 'XZ',
        coverage: ['XZ'], data_mb: 1024, validity_days: 7, price: { minor: 199, currency: 'USD', decimals: 2 },
        available: true, terms_url: 'javascript:alert(1)' },
      { sku: 'constructor', name: 'r', kind: 'region', destination: 'constructor',
        coverage: ['<img src=x onerror=alert(2)>', 'JP', '__proto__'], data_mb: 500, validity_days: 1,
        price: { minor: 1500, currency: 'JPY', decimals: 0 }, available: false, terms_url: 'https://terms.example/' },
    ],
    updated_at: '2026-01-01T00:00:00Z',
  };
  const { page, release, host } = await crafted('XZ', null, hostile);
  const drawn = await host.evaluate(snapshot);
  const markup = await host.evaluate((el) => el.shadowRoot.querySelectorAll('b, i, img, script').length);
  assert.equal(markup, 0, 'no element made from upstream text');
  assert.equal(await host.locator('.plans-title').textContent(), '<b>Nowhere</b> eSIM plans');
  release();
  await sameSort(host);
  await wasmMounted(page);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
  assert.equal(difference(drawn, await host.evaluate(snapshot)), null);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('the drawn elements stay in the page until the traveller acts; the wasm\'s take their place then', async () => {
  const { page, release, host } = await open({ id: 'japan-shop', country: 'JP' });
  await host.locator('.plans-title').waitFor();
  const title = await host.locator('.plans-title').elementHandle();
  release();
  await instantiated(page);
  assert.equal(await title.evaluate((el) => el.isConnected), true, 'the drawn heading is still the page\'s');
  const second = host.locator('.country-plans .plan-card').nth(1);
  const sku = await second.getAttribute('data-sku');
  await second.locator('.choose').click();
  await host.locator('form.checkout').waitFor();
  assert.equal(await title.evaluate((el) => el.isConnected), false);
  const catalog = await (await fetch(`${stack.urls.proxy}/api/catalog?country=JP`)).json();
  assert.equal(await host.locator('.summary-name').textContent(), catalog.plans.find((p) => p.sku === sku).name);
  assert.ok(await host.locator('input[type=email]').evaluate((el) => el.getRootNode().activeElement === el));
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a plan chosen before the wasm is in opens its checkout once it is', async () => {
  const { page, release, host } = await open({ id: 'japan-shop', country: 'JP' });
  const second = host.locator('.country-plans .plan-card').nth(1);
  await second.locator('.choose').waitFor();
  const sku = await second.getAttribute('data-sku');
  await second.locator('.choose').click();
  assert.equal(await second.locator('.choose').getAttribute('aria-busy'), 'true', 'the press shows');
  release();
  await host.locator('form.checkout').waitFor();
  const catalog = await (await fetch(`${stack.urls.proxy}/api/catalog?country=JP`)).json();
  const name = catalog.plans.find((p) => p.sku === sku).name;
  assert.equal(await host.locator('.summary-name').textContent(), name);
  assert.ok(await host.locator('input[type=email]').evaluate((el) => el.getRootNode().activeElement === el),
    'the email field takes the focus, as after a click on the wasm\'s button');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a sort and a change of destination before the wasm is in are done again', async () => {
  const { page, release, host } = await open({ id: 'japan-shop', country: 'JP' });
  await host.locator('.sort-select').selectOption('data');
  await host.locator('.change').click();
  release();
  // "Change destination" pressed: the search, with the focus, as after a click.
  await host.locator('.search-input').waitFor();
  await page.waitForFunction(() => {
    const root = document.querySelector('simology-esim').shadowRoot;
    return root.activeElement && root.activeElement.classList.contains('search-input');
  });
  await page.context().close();

  const again = await open({ id: 'japan-shop', country: 'JP' });
  await again.host.locator('.sort-select').selectOption('data');
  again.release();
  await wasmMounted(again.page);
  const catalog = await (await fetch(`${stack.urls.proxy}/api/catalog?country=JP`)).json();
  const most = catalog.plans.filter((p) => p.kind === 'country' && p.available).sort((a, b) => b.data_mb - a.data_mb)[0];
  await waitUntil('the wasm\'s plans sorted by data', async () =>
    (await again.host.locator('.country-plans .plan-card').first().getAttribute('data-sku')) === most.sku);
  assert.equal(await again.host.locator('.sort-select').inputValue(), 'data');
  assert.deepEqual(again.page.problems, []);
  await again.page.context().close();
});

test('the switch and a chip pressed before the wasm is in are pressed again', async () => {
  const { page, release, host } = await open({ id: 'japan-shop', country: 'JP', locale: 'en' });
  await host.locator('.scope-button').nth(1).click();
  release();
  await wasmMounted(page);
  await waitUntil('the wasm on the regional plans', async () =>
    (await host.locator('ul.regional-plans').count()) === 1);
  assert.equal(await host.locator('.scope-button').nth(1).getAttribute('aria-pressed'), 'true');
  assert.ok(await host.locator('.scope-button').nth(1).evaluate((el) => el.getRootNode().activeElement === el),
    'the focus is on the wasm\'s button, as it was on the drawn one');
  await page.context().close();

  const again = await open({ id: 'japan-shop', country: 'JP', locale: 'en' });
  const chip = again.host.locator('.chips:not([hidden]) .chip', { hasText: '50\u00a0GB' });
  await chip.click();
  again.release();
  await wasmMounted(again.page);
  await waitUntil('the wasm\'s plans filtered by the chip', async () =>
    (await again.host.locator('.plan-card').count()) === 2);
  assert.equal(await again.host.locator('.chips:not([hidden]) .chip[aria-pressed=true]').textContent(), '20–50\u00a0GB');
  assert.deepEqual(again.page.problems, []);
  await again.page.context().close();
});

test('a page returning from payment loads the status module only, and nothing is drawn', async () => {
  const order = `o_${'0123456789abcdef'.repeat(2)}`;
  const { page, wasm, release, host } = await open({ id: 'japan-shop', country: 'JP' }, { hash: `#simology-order=${order}` });
  await waitUntil('the wasm requested', () => wasm.length > 0);
  release();
  await host.locator('.order-title').waitFor();
  assert.deepEqual(wasm, ['status']);
  assert.equal(await host.locator('.reference code').textContent(), order);
  const frames = await page.evaluate(() => window.__frames);
  assert.ok(!frames.includes('drawn-plans'), `no plans drawn on a return: ${frames}`);
  await page.context().close();
});

test('back from a declined payment: the status module, which hands "choose again" to the picker module', async () => {
  const { page, wasm, release, host } = await open({ id: 'japan-shop', country: 'JP' });
  release();
  await checkout(page, host);
  await pay(page, CARD_DECLINED);
  await page.waitForURL((u) => u.origin === stack.urls.page);
  await host.locator('.status-message', { hasText: 'declined' }).waitFor();
  assert.deepEqual(wasm, ['picker', 'status'], 'the page back from payment loads the status module only');
  await host.locator('.order > .button').click();
  await host.locator('form.checkout').waitFor();
  assert.match(await host.locator('.summary-name').textContent(), /Japan/);
  assert.deepEqual(wasm, ['picker', 'status', 'picker']);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a module that fails its integrity check: the page says so, and no plans are drawn after', async () => {
  const page = await newPage(browser, { width: 390 });
  // The catalogue waits until the wasm has failed.
  let answer;
  const answered = new Promise((resolve) => { answer = resolve; });
  await page.route(`${stack.urls.proxy}/api/catalog**`, async (route) => { await answered; await route.continue(); });
  await page.route(WASM, (route) => route.fulfill({ status: 200, contentType: 'application/wasm', body: Buffer.from([0, 97, 115, 109, 1, 0, 0, 0]) }));
  await page.goto(`${stack.urls.page}/`);
  const host = page.locator('simology-esim');
  await host.getByText('The eSIM shop could not load. Please reload the page.').waitFor();
  const catalogue = page.waitForResponse((r) => r.url().includes('/api/catalog'));
  answer();
  await catalogue;
  // The loader has had the answer: a frame later, still only the message.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.equal(await host.locator('.plan-card').count(), 0);
  assert.equal((await host.evaluate((el) => el.shadowRoot.textContent)).trim(), 'The eSIM shop could not load. Please reload the page.');
  assert.ok(page.problems.some((p) => p.includes('integrity')), `the console names the integrity check: ${page.problems}`);
  await page.context().close();
});

test('the loader\'s fallback message speaks the page\'s language, announced, and the page\'s styles do not reach it', async () => {
  // A browser in a language the widget does not have: the page's language decides.
  const page = await newPage(browser, { width: 390, locale: 'ja-JP' });
  await page.route(WASM, (route) => route.fulfill({ status: 200, contentType: 'application/wasm', body: Buffer.from([0, 97, 115, 109, 1, 0, 0, 0]) }));
  // A French page (no locale attribute on the element), with loud styles of its own.
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      const el = document.querySelector('simology-esim');
      if (!el) return;
      observer.disconnect();
      el.removeAttribute('locale');
      document.documentElement.lang = 'fr';
      const style = document.createElement('style');
      style.textContent = '* { color: rgb(255, 0, 0) !important; font-family: fantasy !important; } div { display: none !important; }';
      document.head.appendChild(style);
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(`${stack.urls.page}/`);
  const host = page.locator('simology-esim');
  const alert = host.getByRole('alert');
  await alert.waitFor();
  assert.equal((await alert.textContent()).trim(), 'La boutique eSIM n’a pas pu se charger. Rechargez la page.');
  const look = await alert.evaluate((el) => { const s = getComputedStyle(el); return { color: s.color, display: s.display }; });
  assert.notEqual(look.color, 'rgb(255, 0, 0)', 'the page\'s colour does not reach the message');
  assert.notEqual(look.display, 'none');
  await page.context().close();
});
