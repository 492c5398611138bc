// What the host page sees of the widget, and what crosses the frame's boundary:
// - the public events on the element (`simology:shown` ... `simology:error`), heard by
//   a listener added before the widget's script loads and by one added after, with
//   their documented detail and nothing else;
// - the theme's custom properties set on the element reach the frame, when they are
//   plain colours, lengths and font names; anything else does not;
// - a page on a site the proxy does not allow: the browser refuses the frame, and the
//   element says the shop could not load, in the traveller's language;
// - the proxy unreachable: the same message, in each of the five languages, never the
//   browser's error page in a frame.
// The blogs are other sites (127.0.0.2, 127.0.0.4) than the proxy (127.0.0.1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startStack, launch, newPage, setOffline, pay, confirmPhone, shot, widgetFrame, frameOf, servePages, readJson, seriousViolations,
  ROOT, CARD_OK, chooseDestination } from '../lib/stack.mjs';
import { waitUntil } from '../lib/wait.mjs';

let stack;
let browser;
let integrity;
before(async () => {
  stack = await startStack();
  browser = await launch();
  integrity = readJson(join(ROOT, 'dist', 'integrity.json'))['simology-esim.js'];
});
after(async () => { await browser?.close(); await stack?.stop(); });

const EVENTS = ['shown', 'destination-chosen', 'plan-chosen', 'checkout-started', 'paid', 'ready', 'error'].map((n) => `simology:${n}`);
const SHOP_DOWN = {
  en: 'The eSIM shop could not load. Please reload the page.',
  fr: 'La boutique eSIM n’a pas pu se charger. Rechargez la page.',
  de: 'Der eSIM-Shop konnte nicht geladen werden. Bitte laden Sie die Seite neu.',
  es: 'No se ha podido cargar la tienda de eSIM. Vuelve a cargar la página.',
  it: 'Impossibile caricare il negozio eSIM. Ricarica la pagina.',
};

/**
 * A page whose every load has two listeners for each public event: one on the document,
 * added before any script of the page runs ("before"), and one on each element, added
 * when the widget's script has loaded ("after"). What they hear goes to `heard`.
 */
async function listeningPage(options = {}) {
  const page = await newPage(browser, { width: 1280, ...options });
  const heard = [];
  await page.exposeFunction('__heard', (entry) => heard.push(entry));
  await page.addInitScript((names) => {
    if (window.top !== window) return;
    const keep = (who) => (e) => window.__heard({
      who,
      type: e.type,
      detail: e.detail,
      target: e.target.id,
      custom: e instanceof CustomEvent,
      bubbles: e.bubbles,
      composed: e.composed,
    });
    for (const name of names) document.addEventListener(name, keep('before'));
    document.addEventListener('load', (e) => {
      if (e.target.tagName !== 'SCRIPT' || !e.target.src.endsWith('/simology-esim.js')) return;
      if (!customElements.get('simology-esim')) return;
      for (const el of document.querySelectorAll('simology-esim')) for (const name of names) el.addEventListener(name, keep('after'));
    }, true);
  }, EVENTS);
  return { page, heard };
}

/** The events heard by one listener, from the `from`th on. */
const by = (heard, who, from = 0) => heard.filter((h) => h.who === who).slice(from);

test('the public events reach a listener added before the script and one added after, with their documented detail only', async () => {
  const { page, heard } = await listeningPage();
  const email = 'events@example.com';
  await page.goto(`${stack.urls.page}/`);
  const widget = widgetFrame(page, '#japan-shop');
  await widget.locator('.plans-title').waitFor();
  // Seen: half in view for a second (an affiliate's element).
  await page.locator('#japan-shop').scrollIntoViewIfNeeded();
  await waitUntil('simology:shown', () => heard.some((h) => h.type === 'simology:shown'));
  // A destination, a plan, two travellers, Pay.
  await widget.locator('.change').click();
  await widget.locator('.search-input').fill('japon');
  await chooseDestination(page, 'JP', '#japan-shop');
  await widget.locator('.plans-title').waitFor();
  const card = widget.locator('.country-plans .plan-card').nth(1);
  const sku = await card.getAttribute('data-sku');
  await card.locator('.choose').click();
  await widget.locator('select.travellers').selectOption('2');
  await widget.locator('input[type=email]').fill(email);
  await confirmPhone(widget);
  await widget.locator('.pay').click();
  await pay(page, CARD_OK);
  await page.waitForURL((u) => u.origin === stack.urls.page);
  await widget.locator('.status-message', { hasText: 'Your 2 eSIMs are ready.' }).waitFor({ timeout: 20000 });
  await waitUntil('simology:ready', () => by(heard, 'after').some((h) => h.type === 'simology:ready'));
  const orderRef = (await widget.locator('.reference code').textContent()).trim();
  const order = await (await fetch(`${stack.urls.proxy}/api/orders/${orderRef}`)).json();
  const plan = (await (await fetch(`${stack.urls.proxy}/api/catalog?country=JP`)).json()).plans.find((p) => p.sku === sku);

  const sale = { sku, quantity: 2, amount_minor: 2 * plan.price.minor, currency: plan.price.currency };
  const expected = [
    ['simology:shown', { destination: 'JP' }],
    ['simology:destination-chosen', { destination: 'JP' }],
    ['simology:plan-chosen', { ...sale, destination: 'JP', quantity: 1, amount_minor: plan.price.minor }],
    ['simology:checkout-started', { ...sale, destination: 'JP' }],
    ['simology:paid', { ...sale, analytics_id: order.analytics_id }],
    ['simology:ready', { ...sale, analytics_id: order.analytics_id }],
  ];
  assert.match(order.analytics_id, /^a_[0-9a-f]{20}$/);
  for (const who of ['before', 'after']) {
    const got = by(heard, who);
    assert.deepEqual(got.map((h) => [h.type, h.detail]), expected, `the "${who}" listener`);
    for (const h of got) {
      assert.deepEqual([h.target, h.custom, h.bubbles, h.composed], ['japan-shop', true, true, true], `${h.type} on the element, a CustomEvent that bubbles out`);
    }
  }
  // Nothing in any detail opens anything.
  const details = JSON.stringify(heard.map((h) => h.detail));
  const codes = order.lines.map((l) => l.esim.activation_code);
  assert.equal(codes.length, 2);
  for (const secret of [orderRef, orderRef.slice(2), ...codes, email]) assert.ok(!details.includes(secret), secret);

  // An error: Pay while the traveller is offline.
  const from = by(heard, 'after').length;
  await page.goto(`${stack.urls.page}/`);
  await widget.locator('.country-plans .choose').first().click();
  await widget.locator('input[type=email]').fill(email);
  await setOffline(page, true);
  await confirmPhone(widget);
  await widget.locator('.pay').click();
  await widget.locator('.form-error:not(:empty)').waitFor();
  await setOffline(page, false);
  await waitUntil('simology:error', () => heard.some((h) => h.type === 'simology:error'));
  for (const who of ['before', 'after']) {
    const errors = by(heard, who).filter((h) => h.type === 'simology:error');
    assert.deepEqual(errors.map((h) => h.detail), [{ code: 'network' }], `the "${who}" listener's error`);
  }
  assert.ok(by(heard, 'after', from).some((h) => h.type === 'simology:plan-chosen'), 'the new page\'s events are heard too');
  await page.context().close();
});

test('theme properties set on the element reach the frame; anything but a colour, a length or a font name does not', async () => {
  const page = await newPage(browser, { width: 1280 });
  // Set on the elements before the widget's script reads them: the blog's own styles
  // (a stylesheet rule would do the same: the script reads the computed values).
  await page.addInitScript(() => {
    if (window.top !== window) return;
    new MutationObserver((_, observer) => {
      const japan = document.getElementById('shop-japan');
      const europe = document.getElementById('shop-europe');
      if (!japan || !europe) return;
      observer.disconnect();
      japan.style.setProperty('--simology-accent', '#0B5D3B');
      japan.style.setProperty('--simology-bg', 'rgb(255, 250, 240)');
      japan.style.setProperty('--simology-radius', '3px');
      japan.style.setProperty('--simology-font', 'Georgia, "Times New Roman", serif');
      // Valid CSS for a custom property, and refused by the frame.
      europe.style.setProperty('--simology-accent', 'url(http://127.0.0.4:9/tracker.png)');
      europe.style.setProperty('--simology-radius', 'expression(alert(1))');
      europe.style.setProperty('--simology-font', 'x}body{display:none');
      europe.style.setProperty('--simology-bg', 'rgb(calc(255 - 0), 0, 0)');
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(`${stack.urls.page}/two.html`);
  const japan = widgetFrame(page, '#shop-japan');
  const europe = widgetFrame(page, '#shop-europe');
  await japan.locator('.choose').first().waitFor();
  await europe.locator('.choose').first().waitFor();
  const look = (widget) => widget.locator('.sim-root').evaluate((root) => {
    const button = getComputedStyle(root.querySelector('.choose'));
    const s = getComputedStyle(root);
    return { accent: button.backgroundColor, radius: s.borderTopLeftRadius, font: s.fontFamily, background: s.backgroundColor };
  });
  assert.deepEqual(await look(japan), {
    accent: 'rgb(11, 93, 59)', radius: '3px', font: 'Georgia, "Times New Roman", serif', background: 'rgb(255, 250, 240)',
  });
  // The other widget (dark theme): its own colours, as if nothing had been set.
  const europeSrc = await page.locator('#shop-europe iframe').getAttribute('src');
  assert.ok(europeSrc.includes('css-accent=url'), 'the host script passed the value on: the proxy refused it');
  const refused = await look(europe);
  assert.deepEqual(refused, { accent: 'rgb(138, 180, 255)', radius: '12px', font: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', background: 'rgb(18, 22, 31)' });
  const frame = await frameOf(page, '#shop-europe');
  const style = await frame.evaluate(() => document.querySelector('style').textContent);
  assert.deepEqual(style.match(/--simology-[a-z-]+:[^;}]*/g), null, 'no theme property declared in the frame');
  for (const bad of ['tracker.png', 'expression', 'x}body', 'rgb(calc']) assert.ok(!style.includes(bad), `${bad} is not in the frame's style`);
  await shot(page, 'theme-across-the-frame');
  assert.deepEqual(page.problems, []);
  await page.context().close();

  // A frame address written by hand (not by the host script): a value that would end
  // its declaration is dropped whole, and the rest of the theme kept.
  const params = new URLSearchParams({ instance: 'x', country: 'JP', 'css-accent': 'red; background: url(https://evil.example/x.png)',
    'css-text': '#111', 'css-font': 'serif}html{display:none' });
  const html = await (await fetch(`${stack.urls.proxy}/embed?${params}`, { headers: { referer: `${stack.urls.page}/` } })).text();
  const root = /:root\{([^}]*)\}/.exec(html);
  assert.equal(root && root[1], '--simology-text:#111;', 'only the valid property');
  assert.ok(!html.includes('evil.example') && !html.includes('html{display:none'));
});

test('compat-check crosses to the frame; another value is reported in the console (by the frame\'s checkout) and the step stays required', async () => {
  const page = await newPage(browser, { width: 1280 });
  await page.addInitScript(() => {
    if (window.top !== window) return;
    new MutationObserver((_, observer) => {
      const japan = document.getElementById('shop-japan');
      const europe = document.getElementById('shop-europe');
      if (!japan || !europe) return;
      observer.disconnect();
      japan.setAttribute('compat-check', 'advisory');
      europe.setAttribute('compat-check', 'sometimes');
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(`${stack.urls.page}/two.html`);
  const japan = widgetFrame(page, '#shop-japan');
  const europe = widgetFrame(page, '#shop-europe');
  await japan.locator('.country-plans .choose').first().click();
  await europe.locator('.country-plans .choose, .regional-plans .choose').first().click();
  await japan.locator('.compat .compat-device').waitFor();
  await europe.locator('.compat .compat-device').waitFor();
  assert.ok((await page.locator('#shop-japan iframe').getAttribute('src')).includes('compat-check=advisory'));
  assert.ok((await page.locator('#shop-europe iframe').getAttribute('src')).includes('compat-check=sometimes'),
    'passed as it is: the frame checks it');
  assert.equal(await japan.locator('.compat-confirm').count(), 0, 'advisory: nothing to confirm');
  assert.equal(await europe.locator('.compat-confirm').count(), 1, 'the default: required');
  assert.deepEqual(page.problems, ['console: simology-esim: compat-check must be required, advisory or off']);
  await page.context().close();
});

test('a page on a site the proxy does not allow: the browser refuses the frame, the element says so in the traveller\'s language', async () => {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not allowed</title>
<script src="${stack.urls.cdn}/simology-esim.js" integrity="${integrity}" crossorigin="anonymous" async></script></head>
<body><main><h1>Another site</h1><simology-esim id="elsewhere" proxy="${stack.urls.proxy}" country="JP"></simology-esim></main></body></html>`;
  const site = await servePages('127.0.0.4', { '/': { body } });
  try {
    const page = await newPage(browser, { width: 800, locale: 'fr-FR' });
    const documents = [];
    page.on('response', (r) => { if (r.url().startsWith(`${stack.urls.proxy}/embed?`)) documents.push(r.status()); });
    await page.goto(`${site.origin}/`);
    const down = page.locator('#elsewhere .down');
    await down.waitFor();
    assert.equal(await down.textContent(), SHOP_DOWN.fr);
    assert.equal(await down.getAttribute('role'), 'alert');
    assert.deepEqual(documents, [200], 'the proxy served it; the browser refused to show it');
    const frame = await (await page.locator('#elsewhere iframe').elementHandle()).contentFrame();
    assert.equal(frame.url(), 'chrome-error://chromewebdata/', 'Chromium\'s error page, not our document');
    assert.equal(await frame.locator('#sim').count(), 0);
    assert.equal(await page.locator('#elsewhere iframe').isVisible(), false, 'and it is hidden');
    assert.ok(page.problems.some((p) => p.includes('frame-ancestors')), `the console says why: ${page.problems}`);
    await shot(page, 'refused-origin');
    assert.deepEqual(await seriousViolations(page), []);
    await page.context().close();
  } finally {
    await site.close();
  }
});

for (const [lang, message] of Object.entries(SHOP_DOWN)) {
  test(`the proxy unreachable: the element's own message, in ${lang}`, async () => {
    const page = await newPage(browser, { width: 390, locale: lang });
    await page.route(`${stack.urls.proxy}/**`, (route) => route.abort('connectionrefused'));
    await page.goto(`${stack.urls.page}/`);
    const down = page.locator('#japan-shop .down');
    await down.waitFor();
    assert.equal(await down.textContent(), message);
    assert.equal(await page.locator('#japan-shop iframe').isVisible(), false, 'the browser\'s error page is hidden');
    const look = await down.evaluate((el) => ({ display: getComputedStyle(el).display, height: el.getBoundingClientRect().height }));
    assert.ok(look.display === 'block' && look.height > 40, `the message shows: ${JSON.stringify(look)}`);
    await shot(page, `proxy-down-${lang}`);
    await page.context().close();
  });
}
