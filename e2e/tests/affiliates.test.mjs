// Two affiliates, each with a blog on its own site: Wander Notes on the demo's main blog
// (127.0.0.2), Nomad Bytes on its second blog (127.0.0.3). A reader buys through each
// blog's widget; each affiliate's report, read with its own token, counts its own
// funnel and its own paid order, and nothing of the other's. The funnel's beacons come
// from the widget's frame (the proxy's origin), carrying the attribution the proxy
// signed into that frame's document when it served it to the affiliate's page: the
// host page sends nothing, and no body's claim credits anybody.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, launch, newPage, pay, confirmPhone, widgetFrame, isWidgetFrame, CARD_OK, chooseDestination } from '../lib/stack.mjs';
import { waitUntil } from '../lib/wait.mjs';

let stack;
let browser;
before(async () => { stack = await startStack(); browser = await launch(); });
after(async () => { await browser?.close(); await stack?.stop(); });

async function report(affiliate, token, by = 'placement') {
  const r = await fetch(`${stack.urls.proxy}/api/affiliates/${affiliate.id}/report?by=${by}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(r.status, 200, `${affiliate.id}'s report with its token`);
  return r.json();
}

/** Waits until the affiliate's totals have counted `step` at least `n` times. */
async function counted(affiliate, step, n = 1) {
  return waitUntil(`${affiliate.id}'s report to count ${step}`, async () => {
    const totals = (await report(affiliate, affiliate.token)).affiliates[0];
    return totals && totals.funnel[step] >= n ? totals : false;
  });
}

/** Opens `url`, brings the widget into view, buys its first plan (after choosing the
 * destination again when `search` is given) and waits for the eSIM. */
async function buy(url, selector, affiliate, search) {
  const page = await newPage(browser);
  const beacons = [];
  page.on('request', (r) => {
    if (!r.url().endsWith('/api/beacons')) return;
    beacons.push({ body: JSON.parse(r.postData()), url: r.url(), fromFrame: isWidgetFrame(r.frame()), origin: r.headers().origin });
  });
  await page.goto(url);
  const widget = widgetFrame(page, selector);
  await widget.locator('.plans-title').waitFor();
  await page.locator(selector).scrollIntoViewIfNeeded();
  // Seen for a second: the host script tells the frame, whose beacon counts it.
  await counted(affiliate, 'shown');
  if (search) {
    await widget.locator('.change').click();
    await widget.locator('.search-input').fill(search.query);
    await chooseDestination(page, search.code, selector);
    await widget.locator('.plans-title').waitFor();
  }
  await widget.locator('.plan-card .choose').first().click();
  await widget.locator('input[type=email]').fill('traveller@example.com');
  await confirmPhone(widget);
  await widget.locator('.pay').click();
  await pay(page, CARD_OK);
  await page.waitForURL((u) => u.origin === new URL(url).origin);
  await widget.locator('.qr svg').waitFor({ timeout: 20000 });
  assert.deepEqual(page.problems, [], 'no console errors');
  await page.context().close();
  return beacons;
}

test('two affiliates on two origins: each report counts its own funnel and sale, not the other\'s', async () => {
  const [wander, nomad] = stack.urls.affiliates;
  assert.equal(wander.id, 'wander-notes');
  assert.equal(nomad.id, 'nomad-bytes');
  assert.ok(wander.origins.includes(stack.urls.page));
  assert.deepEqual(nomad.origins, [stack.urls.second_blog]);

  const sentA = await buy(`${stack.urls.page}/`, '#japan-shop', wander, { query: 'japon', code: 'JP' });
  const sentB = await buy(`${stack.urls.second_blog}/`, '#rail-shop', nomad);
  // What the widget sent: from its frame to its own origin (the proxy's), the signed
  // attribution, the page's path and the destination, and nothing about the reader.
  const day = Math.floor(Date.now() / 86400000);
  for (const [sent, id, placement] of [[sentA, 'wander-notes', 'japan-post-inline'], [sentB, 'nomad-bytes', 'rail-guide-footer']]) {
    for (const b of sent) {
      assert.equal(b.fromFrame, true, 'sent by the widget\'s frame');
      assert.equal(new URL(b.url).origin, stack.urls.proxy);
      assert.ok(b.origin === undefined || b.origin === stack.urls.proxy, `from the proxy's origin, not the blog's: ${b.origin}`);
      assert.deepEqual(Object.keys(b.body).sort().filter((k) => !['attribution', 'destination', 'event', 'page_path'].includes(k)), []);
      const [version, affiliateId, place, signedDay, mac] = b.body.attribution.split(':');
      assert.deepEqual([version, affiliateId, place], ['a1', id, placement], b.body.attribution);
      assert.ok(Math.abs(Number(signedDay) - day) <= 1 && /^[0-9a-f]{32}$/.test(mac), b.body.attribution);
      assert.equal(b.body.page_path, '/');
    }
  }
  assert.deepEqual(sentA.map((b) => b.body.event),
    ['shown', 'destination_chosen', 'plan_chosen', 'checkout_started'], 'one of each on the way to the sale (none on the return)');

  const a = await counted(wander, 'ready');
  const b = await counted(nomad, 'ready');
  assert.deepEqual(a.funnel, { shown: 1, destination_chosen: 1, plan_chosen: 1, checkout_started: 1, paid: 1, ready: 1, refunded: 0 });
  // A region's page opens on its plans: no destination chosen.
  assert.deepEqual(b.funnel, { shown: 1, destination_chosen: 0, plan_chosen: 1, checkout_started: 1, paid: 1, ready: 1, refunded: 0 });
  assert.equal(a.revenue.length, 1);
  assert.equal(a.revenue[0].gross_minor, a.revenue[0].net_minor);
  assert.ok(a.revenue[0].net_minor > 0);
  // Commission: net × 12 % rounded half up; Nomad Bytes' at 10 %.
  assert.equal(a.commission[0].minor, Math.floor((a.revenue[0].net_minor * 1200 + 5000) / 10000));
  assert.equal(b.commission[0].minor, Math.floor((b.revenue[0].net_minor * 1000 + 5000) / 10000));

  // Each report holds its own affiliate only, under its own placement and page.
  const byPlacementA = await report(wander, wander.token);
  const byPlacementB = await report(nomad, nomad.token);
  assert.deepEqual(byPlacementA.rows.map((r) => [r.affiliate, r.key]), [['wander-notes', 'japan-post-inline']]);
  assert.deepEqual(byPlacementB.rows.map((r) => [r.affiliate, r.key]), [['nomad-bytes', 'rail-guide-footer']]);
  assert.deepEqual(byPlacementA.affiliates.map((t) => t.affiliate), ['wander-notes']);
  assert.deepEqual(byPlacementB.affiliates.map((t) => t.affiliate), ['nomad-bytes']);
  const byPage = await report(wander, wander.token, 'page');
  assert.deepEqual(byPage.rows.map((r) => r.key), ['/']);
  const byDestination = await report(nomad, nomad.token, 'destination');
  assert.deepEqual(byDestination.rows.map((r) => r.key), ['europe']);

  // One affiliate's token does not open the other's report.
  const crossed = await fetch(`${stack.urls.proxy}/api/affiliates/${wander.id}/report`, {
    headers: { authorization: `Bearer ${nomad.token}` },
  });
  assert.equal(crossed.status, 401);

  // The blog's own report page (its server holds the token) shows the same figures.
  const page = await newPage(browser);
  await page.goto(`${stack.urls.page}/report`);
  const row = page.locator('table.report tbody tr').first();
  assert.equal(await row.locator('th').textContent(), 'japan-post-inline');
  assert.deepEqual((await row.locator('td').allTextContents()).slice(0, 6), ['1', '1', '1', '1', '1', '1']);
  await page.context().close();
});
