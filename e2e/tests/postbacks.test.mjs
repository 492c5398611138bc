// An affiliate network's click id, from the blog's address to the network's postback.
// A reader lands on the demo's blog from a network's link (`?irclickid=IR_...`); the
// blog's element names that parameter (`click-param="irclickid"`), so the host script
// passes the click id to the widget's frame, whose checkout sends it beside the
// attribution the proxy signed. The demo's partner systems then receive the signed
// `order.paid` and `order.ready` webhooks and the network's `pending` and `approved`
// postbacks with that click id; a refund sends `order.refunded` and a `reversed`
// postback. The click id is in no beacon, and not in the address the payment page
// returns to.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, launch, newPage, pay, confirmPhone, widgetFrame, isWidgetFrame, CARD_OK } from '../lib/stack.mjs';
import { waitUntil } from '../lib/wait.mjs';

const CLICK_ID = 'IR_x.e2e~42-a';

let stack;
let browser;
before(async () => { stack = await startStack(); browser = await launch(); });
after(async () => { await browser?.close(); await stack?.stop(); });

async function received() {
  const r = await fetch(`${stack.urls.partner}/received.json`);
  assert.equal(r.status, 200);
  return r.json();
}

/** Waits until the partner systems hold what `check` looks for in `/received.json`. */
async function arrived(what, check) {
  return waitUntil(what, async () => {
    const r = await received();
    return check(r) ? r : false;
  }, { timeout: 30000 });
}

const postbacksWith = (r, status) => (r.postbacks || []).filter((p) => p.query.click_id === CLICK_ID && p.query.status === status);
const hooksOf = (r, type, orderId) => (r.webhooks || []).filter((h) => h.type === type && h.verified && (!orderId || h.payload.data.order_id === orderId));

test('a click id in the blog\'s address reaches the network\'s postbacks, and nothing else', async () => {
  const page = await newPage(browser);
  const checkouts = [];
  const beacons = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/api/checkout')) checkouts.push({ body: JSON.parse(r.postData()), fromFrame: isWidgetFrame(r.frame()) });
    if (r.url().endsWith('/api/beacons')) beacons.push(r.postData());
  });
  await page.goto(`${stack.urls.page}/?utm_source=network&irclickid=${encodeURIComponent(CLICK_ID)}`);
  const widget = widgetFrame(page, '#japan-shop');
  await widget.locator('.plans-title').waitFor();
  await widget.locator('.plan-card .choose').first().click();
  await widget.locator('input[type=email]').fill('traveller@example.com');
  await confirmPhone(widget);
  await widget.locator('.pay').click();
  await pay(page, CARD_OK);
  await page.waitForURL((u) => u.origin === stack.urls.page);
  // Back from paying, the page's address holds the rest of its query, not the click id.
  assert.equal(new URL(page.url()).searchParams.get('utm_source'), 'network');
  assert.equal(new URL(page.url()).searchParams.get('irclickid'), null, page.url());
  await widget.locator('.qr svg').waitFor({ timeout: 20000 });
  assert.deepEqual(page.problems, [], 'no console errors');

  // The frame's checkout carried the click id beside the proxy's signed attribution.
  assert.equal(checkouts.length, 1);
  const [checkout] = checkouts;
  assert.equal(checkout.fromFrame, true);
  assert.equal(checkout.body.click_id, CLICK_ID);
  assert.match(checkout.body.attribution, /^a1:wander-notes:japan-post-inline:/);
  assert.ok(!checkout.body.return_url.includes(CLICK_ID), checkout.body.return_url);
  assert.ok(beacons.length > 0, 'the funnel was reported');
  for (const b of beacons) assert.ok(!b.includes(CLICK_ID), `a beacon carried the click id: ${b}`);

  // The partner's CRM verified order.paid and order.ready; the network got pending
  // then approved, with the click id.
  const ready = await arrived('paid and ready, pending and approved', (r) =>
    hooksOf(r, 'order.paid').length > 0 && hooksOf(r, 'order.ready').length > 0
      && postbacksWith(r, 'pending').length > 0 && postbacksWith(r, 'approved').length > 0);
  const [pending] = postbacksWith(ready, 'pending');
  const orderId = pending.query.order_id;
  assert.match(orderId, /^order_[0-9a-f]{32}$/);
  assert.equal(pending.network, 'impact');
  assert.equal(pending.query.placement, 'japan-post-inline');
  assert.ok(Number(pending.query.amount_minor) > 0);
  assert.ok(hooksOf(ready, 'order.paid', orderId).length > 0, 'order.paid names the same order');
  assert.ok(hooksOf(ready, 'order.ready', orderId).length > 0, 'order.ready names the same order');
  for (const h of ready.webhooks) {
    assert.equal(h.verified, true, `every webhook verified: ${JSON.stringify(h)}`);
    assert.ok(!JSON.stringify(h.payload).includes('traveller@example.com'), 'no email in a webhook');
  }

  // A refund (the partner's admin, by the order's reference): order.refunded and the
  // network's reversed postback.
  const sessions = await (await fetch(`${stack.urls.sandbox}/sandbox/sessions`)).json();
  const refs = sessions.map((s) => s.metadata && s.metadata.order_ref).filter(Boolean);
  assert.equal(refs.length, 1, 'one checkout session');
  const refund = await fetch(`${stack.urls.proxy}/admin/orders/${refs[0]}/refund`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.urls.admin_token}`, 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(refund.status, 202, await refund.text());
  const refunded = await arrived('order.refunded and a reversed postback', (r) =>
    hooksOf(r, 'order.refunded', orderId).length > 0 && postbacksWith(r, 'reversed').length > 0);
  assert.equal(postbacksWith(refunded, 'reversed')[0].query.order_id, orderId);
  await page.context().close();
});
