// A hostile script on the host page, during a whole purchase: the demo's /spy.html
// loads /spy.js (a file of the blog's own, allowed by the page's strict CSP) before the
// widget's script. The spy hooks everything a script of the host page can hook (fetch,
// XHR, storage, cookies, history and the address, messages, every dispatched event,
// shadow roots, keys and input, resource timings, a MutationObserver into the shadow
// roots, globals, the frame's window) and keeps what it saw. The traveller buys,
// typing the email on the keyboard, and gets the eSIM. Then nothing the spy kept may
// hold the order's reference, the activation code (or the LPA string it is in), the
// ICCID or the email: they live in the widget's frame, a document of the proxy's
// origin, which the host page's realm cannot read.
//
// The test also shows that the spy was listening (it heard the widget's public events,
// its messages, the page's own keys and requests) and that the check would catch a
// leak: a message carrying the activation code, posted from the frame as a broken
// widget would, is found in the spy's log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, launch, newPage, pay, confirmPhone, widgetFrame, frameOf, keep, shot, CARD_OK } from '../lib/stack.mjs';
import { waitUntil } from '../lib/wait.mjs';

let stack;
let browser;
before(async () => { stack = await startStack(); browser = await launch(); });
after(async () => { await browser?.close(); await stack?.stop(); });

/** The spy's entries, with each entry's `what` parsed back where it is JSON. */
async function spyLog(page) {
  const { entries, errors } = await page.evaluate(() => window.__spy.final());
  return {
    errors,
    entries: entries.map((e) => {
      let what = e.what;
      try { what = JSON.parse(e.what); } catch { /* plain text */ }
      return { ...e, what };
    }),
  };
}

/** Which of `secrets` ([name, value] pairs) are in the spy's log: anywhere in its
 * text, or typed key by key. */
function leaks(entries, secrets) {
  const text = JSON.stringify(entries).toLowerCase();
  const typed = entries.filter((e) => e.kind === 'key' && e.what.type === 'keydown').map((e) => e.what.key).join('').toLowerCase();
  return secrets.filter(([, value]) => text.includes(value.toLowerCase()) || typed.includes(value.toLowerCase())).map(([name]) => name);
}

const kinds = (entries, kind) => entries.filter((e) => e.kind === kind).map((e) => e.what);

test('a hostile script on the host page learns no order, activation code or email during a whole purchase', async () => {
  const page = await newPage(browser, { width: 1280 });
  const email = `spy-victim-${Date.now().toString(36)}@example.com`;
  await page.goto(`${stack.urls.page}/spy.html`);
  const widget = widgetFrame(page, '#spy-shop');
  await widget.locator('.plans-title').waitFor();
  await page.locator('#spy-shop').scrollIntoViewIfNeeded();

  // The page's own doings, which the spy must hear: its keys, its requests.
  await page.locator('#newsletter').click();
  await page.keyboard.type('hello-host');
  await page.evaluate(async () => {
    await (await fetch('/blog.css')).text();
    await new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open('GET', '/blog.css');
      xhr.onload = resolve;
      xhr.send();
    });
  });

  // The purchase: a plan, the email typed on the keyboard, Pay (in the frame), the
  // payment page (the top window), and back to the spy's page.
  const sku = await widget.locator('.country-plans .plan-card').first().getAttribute('data-sku');
  await widget.locator('.country-plans .choose').first().click();
  await widget.locator('input[type=email]').click();
  await page.keyboard.type(email);
  assert.equal(await widget.locator('input[type=email]').inputValue(), email);
  await confirmPhone(widget);
  await widget.locator('.pay').click();
  await pay(page, CARD_OK, { keyboard: true });
  await page.waitForURL((u) => u.origin === stack.urls.page && u.pathname === '/spy.html');
  await widget.locator('.qr svg').waitFor({ timeout: 20000 });

  // What the traveller has, read from the frame and the proxy.
  const orderRef = (await widget.locator('.reference code').textContent()).trim();
  assert.match(orderRef, /^o_[0-9a-f]{32}$/);
  const order = await (await fetch(`${stack.urls.proxy}/api/orders/${orderRef}`)).json();
  const { activation_code: code, lpa, iccid } = order.esim;
  assert.ok((await widget.locator('.copy-value').allTextContents()).includes(code), 'the code is on screen, in the frame');
  // The page's own realm, as the spy sees it, once more after a reload of the page.
  await shot(page, 'spy-ready');
  await page.reload();
  await widget.locator('.sim-root').waitFor();
  await page.locator('#spy-shop').scrollIntoViewIfNeeded();

  const { entries, errors } = await spyLog(page);
  keep('spy-log.json', JSON.stringify(entries, null, 1));
  assert.deepEqual(errors, [], 'the spy kept everything it saw');

  // The spy was listening: the page's keys and requests, the element's shadow root
  // and its content, the frame's messages, the widget's public events and their detail.
  const typed = kinds(entries, 'key').filter((k) => k.type === 'keydown').map((k) => k.key).join('');
  assert.ok(typed.includes('hello-host'), `the spy logged the page's keys: ${typed}`);
  assert.ok(kinds(entries, 'fetch-answer').some((f) => f.url.endsWith('/blog.css') && f.body.length > 0), 'it read the page\'s fetch answers');
  assert.ok(kinds(entries, 'xhr-answer').some((f) => f.url === '/blog.css' && f.body.length > 0), 'and its XHR answers');
  assert.ok(kinds(entries, 'shadow-root').some((r) => r.host === 'simology-esim#spy-shop' && r.mode === 'open'), 'it saw the element\'s shadow root made');
  assert.ok(kinds(entries, 'shadow-content').some((r) => r.html.includes('<iframe')), 'and read its content (the frame element)');
  assert.ok(kinds(entries, 'mutation').length > 0, 'its MutationObserver ran');
  assert.ok(kinds(entries, 'resource').some((name) => name.startsWith(`${stack.urls.proxy}/embed?`)), 'it saw the frame\'s address in the resource timings');
  const messages = kinds(entries, 'message').filter((m) => m.fromFrame && m.origin === stack.urls.proxy).map((m) => m.data.type);
  for (const type of ['simology:hello', 'simology:size', 'simology:ready', 'simology:event']) {
    assert.ok(messages.includes(type), `it heard the frame's ${type}: ${[...new Set(messages)]}`);
  }
  const chosen = kinds(entries, 'event').filter((e) => e.type === 'simology:plan-chosen');
  assert.equal(chosen.length, 1, 'it saw simology:plan-chosen dispatched');
  assert.deepEqual(Object.keys(chosen[0].detail).sort(), ['amount_minor', 'currency', 'destination', 'quantity', 'sku']);
  assert.equal(chosen[0].detail.sku, sku);
  assert.ok(kinds(entries, 'listened').some((e) => e.type === 'simology:ready' && /^a_[0-9a-f]{20}$/.test(e.detail.analytics_id)),
    'it heard simology:ready, with its analytics id');
  assert.ok(kinds(entries, 'address').some((a) => a.hash === '#simology-paid=spy-shop'), 'it saw the return from payment (the widget, never the order)');
  assert.ok(kinds(entries, 'frame-document').some((d) => d === 'refused: SecurityError'), 'it tried the frame\'s document: refused');
  assert.ok(kinds(entries, 'frame-storage').some((d) => d === 'refused: SecurityError'), 'and the frame\'s storage: refused');
  assert.ok(kinds(entries, 'page').length > 0 && kinds(entries, 'local-storage').length > 0 && kinds(entries, 'cookies').length > 0);

  // Nothing secret anywhere in what it kept.
  const secrets = [
    ['the order reference', orderRef],
    ['the order reference (hex)', orderRef.slice(2)],
    ['the activation code', code],
    ['the LPA string', lpa],
    ['the ICCID', iccid],
    ['the email', email],
    ['the email, URL-encoded', encodeURIComponent(email)],
  ];
  assert.deepEqual(leaks(entries, secrets), [], 'the spy learned no secret (its log: target/e2e/spy-log.json)');

  // The check bites: a message carrying the code, posted from the frame as a broken
  // widget would post it, reaches the spy and is found.
  const frame = await frameOf(page, '#spy-shop');
  await frame.evaluate(({ leaked, to }) => window.parent.postMessage({ type: 'simology:event', name: 'plan-chosen', detail: { sku: leaked } }, to),
    { leaked: code, to: stack.urls.page });
  const leaked = await waitUntil('the planted leak in the spy\'s log', async () => {
    const found = leaks((await spyLog(page)).entries, secrets);
    return found.length > 0 ? found : false;
  });
  assert.deepEqual(leaked, ['the activation code']);
  await page.context().close();
});
