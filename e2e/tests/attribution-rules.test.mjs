// Attribution is bound to the embedding page, by the frame: the proxy signs the
// affiliate and placement into the frame's document only for the affiliate's own pages,
// the document may be framed only by the affiliate's origins (`frame-ancestors`, which
// the browser enforces), and only what the proxy signed is credited. So a copy of an
// affiliate's element on another site's page earns that affiliate nothing: the browser
// refuses the frame there, and the proxy would not sign it for that page anyway; and a
// claim in a request's body (a beacon from curl) credits nobody.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startStack, launch, newPage, widgetFrame, readJson, servePages, ROOT } from '../lib/stack.mjs';
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

/** An affiliate's totals (zeros when it has none yet). */
async function funnel(affiliate) {
  const r = await fetch(`${stack.urls.proxy}/api/affiliates/${affiliate.id}/report`, {
    headers: { authorization: `Bearer ${affiliate.token}` },
  });
  assert.equal(r.status, 200);
  const totals = (await r.json()).affiliates[0];
  return totals ? totals.funnel : { shown: 0, destination_chosen: 0, plan_chosen: 0, checkout_started: 0, paid: 0, ready: 0, refunded: 0 };
}

/** A blog-like page with the widget's script and `elements`. */
function blogPage(elements, lang = 'en') {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>Copied</title>
<script src="${stack.urls.cdn}/simology-esim.js" integrity="${integrity}" crossorigin="anonymous" async></script>
</head><body><main><h1>A copied embed</h1>${elements}</main></body></html>`;
}

const WANDER = (proxy) => `<simology-esim id="japan-shop" proxy="${proxy}" country="JP" affiliate="wander-notes" placement="japan-post-inline"></simology-esim>`;

/**
 * Opens `url` and waits until the element `selector` has given up on its frame: the
 * proxy served the document (its answer seen), the browser refused to show it, and the
 * element says the shop could not load. Resolves to what the page sent and showed.
 */
async function refused(page, url, selector) {
  page.setDefaultTimeout(15000);
  const documents = [];
  const beacons = [];
  page.on('response', (r) => { if (r.url().startsWith(`${stack.urls.proxy}/embed?`)) documents.push(r.status()); });
  page.on('request', (r) => { if (r.url().endsWith('/api/beacons')) beacons.push(r.postData()); });
  await page.goto(url);
  const down = page.locator(`${selector} .down`);
  await down.waitFor();
  await waitUntil('the frame document\'s answer', () => documents.length > 0);
  const frame = await (await page.locator(`${selector} iframe`).elementHandle()).contentFrame();
  return {
    documents,
    beacons,
    message: await down.textContent(),
    frameUrl: frame.url(),
    ours: await frame.locator('#sim').count(),
    frameShown: await page.locator(`${selector} iframe`).isVisible(),
  };
}

test('a copy of an affiliate\'s element on another site: the browser refuses the frame, nobody is credited', async () => {
  const [wander] = stack.urls.affiliates;
  const before = await funnel(wander);
  const site = await servePages('127.0.0.4', { '/': { body: blogPage(WANDER(stack.urls.proxy)) } });
  try {
    const page = await newPage(browser, { width: 1280 });
    const seen = await refused(page, `${site.origin}/`, '#japan-shop');
    assert.deepEqual(seen.documents, [200], 'the proxy answered the document (the browser decides: frame-ancestors)');
    assert.equal(seen.frameUrl, 'chrome-error://chromewebdata/', 'Chromium refused to show it');
    assert.equal(seen.ours, 0, 'none of the widget\'s document in the frame');
    assert.equal(seen.frameShown, false, 'the refused frame is hidden');
    assert.equal(seen.message, 'The eSIM shop could not load. Please reload the page.');
    assert.deepEqual(seen.beacons, [], 'no beacon from a frame that never ran');
    assert.ok(page.problems.some((p) => p.includes('frame-ancestors')), `the console names frame-ancestors: ${page.problems}`);
    await page.context().close();
  } finally {
    await site.close();
  }
  assert.deepEqual(await funnel(wander), before, 'Wander Notes credited nothing');
});

test('an affiliate\'s element copied onto another affiliate\'s blog: refused there; that blog\'s own works', async () => {
  const [wander, nomad] = stack.urls.affiliates;
  const before = await funnel(wander);
  const page = await newPage(browser, { width: 1280 });
  // Nomad Bytes' blog (an origin the proxy allows to embed widgets), where a script
  // adds a copy of Wander Notes' element beside the blog's own.
  await page.addInitScript((html) => {
    if (window.top !== window) return;
    document.addEventListener('DOMContentLoaded', () => document.querySelector('main').insertAdjacentHTML('afterbegin', html));
  }, WANDER(stack.urls.proxy));
  const seen = await refused(page, `${stack.urls.second_blog}/`, '#japan-shop');
  assert.equal(seen.ours, 0);
  assert.equal(seen.frameShown, false);
  // Nomad Bytes' own element on its own blog shows its plans.
  await widgetFrame(page, '#rail-shop').locator('.plans-title').waitFor();
  assert.ok(nomad.origins.includes(stack.urls.second_blog));
  assert.ok(!wander.origins.includes(stack.urls.second_blog));
  await page.context().close();
  assert.deepEqual(await funnel(wander), before, 'Wander Notes credited nothing');
});

/** The frame document the proxy serves for Wander Notes' element, as requested from `referer`. */
async function embedFor(referer) {
  const [wander] = stack.urls.affiliates;
  const params = new URLSearchParams({ instance: 'japan-shop', country: 'JP', affiliate: wander.id, placement: 'japan-post-inline', page: `${stack.urls.page}/` });
  const r = await fetch(`${stack.urls.proxy}/embed?${params}`, { headers: referer ? { referer } : {} });
  assert.equal(r.status, 200);
  const html = await r.text();
  const config = JSON.parse(/<script type="application\/json" id="sim-config">(.*?)<\/script>/s.exec(html)[1]);
  return { config, csp: r.headers.get('content-security-policy') };
}

test('the proxy signs the attribution only for the affiliate\'s pages, and the frame may be shown only there', async () => {
  const [wander] = stack.urls.affiliates;
  const own = await embedFor(`${stack.urls.page}/japan/`);
  assert.match(own.config.attribution, /^a1:wander-notes:japan-post-inline:\d+:[0-9a-f]{32}$/);
  const ancestors = /frame-ancestors ([^;]+)/.exec(own.csp)[1].trim().split(/\s+/).sort();
  assert.deepEqual(ancestors, [...wander.origins].sort(), 'framed by Wander Notes\' origins only');
  // Requested from another site's page: served (a browser would not show it there), unsigned.
  for (const elsewhere of ['http://127.0.0.4:8080/copy', `${stack.urls.second_blog}/`, `${stack.urls.cdn}/builder.html`]) {
    const copy = await embedFor(elsewhere);
    assert.equal(copy.config.attribution, null, `unsigned for ${elsewhere}`);
  }
  // No Referer (a page that sends none): signed, and the browser's frame-ancestors holds.
  assert.match((await embedFor(null)).config.attribution, /^a1:wander-notes:/);
});

test('claims in a beacon\'s body credit nobody; only the proxy\'s signature does', async () => {
  const [wander, nomad] = stack.urls.affiliates;
  const before = await funnel(wander);
  // Nomad Bytes' own element was shown on its blog by an earlier test (its beacon
  // counted then, or a moment later): what matters is that nothing here adds to it.
  const nomadBefore = await funnel(nomad);
  const beacon = (body) => fetch(`${stack.urls.proxy}/api/beacons`, {
    method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(body),
  });
  const { attribution } = (await embedFor(`${stack.urls.page}/`)).config;
  const [version, id, placement, day, mac] = attribution.split(':');
  const forged = [
    { affiliate: 'wander-notes', placement: 'japan-post-inline', event: 'shown', page_path: '/' },
    { attribution: `${version}:${id}:${placement}:${day}:${'0'.repeat(32)}`, event: 'shown', page_path: '/' },
    { attribution: `${version}:${id}:sidebar:${day}:${mac}`, event: 'shown', page_path: '/' },
    { attribution: `${version}:${id}:${placement}:${Number(day) + 1}:${mac}`, event: 'shown', page_path: '/' },
    { attribution: `${version}:nomad-bytes:${placement}:${day}:${mac}`, event: 'shown', page_path: '/' },
  ];
  for (const body of forged) {
    const r = await beacon(body);
    assert.ok(r.status >= 400 && r.status < 500, `${JSON.stringify(body)}: ${r.status}`);
  }
  // The signed one, replayed as it was served, counts: once.
  assert.equal((await beacon({ attribution, event: 'shown', page_path: '/' })).status, 204);
  const after = await waitUntil('the signed beacon counted', async () => {
    const f = await funnel(wander);
    return f.shown > before.shown ? f : false;
  });
  assert.deepEqual(after, { ...before, shown: before.shown + 1 }, 'the signed beacon only');
  assert.deepEqual(await funnel(nomad), nomadBefore, 'Nomad Bytes credited nothing');
});
