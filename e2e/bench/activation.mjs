// Activation latency for `cargo xtask bench`: from the sandbox sending `activation.ready`
// to the QR code in the widget's frame, with the widget long-polling and with it polling
// every 3 s. The first argument is the demo stack's URLs (simology-demo --json), with
// `page` the origin that serves the host pages. Prints one JSON object of samples.
//
// Each order is bought over HTTP as the frame buys it (`instance` named), and the page
// is opened as a traveller back from the payment page finds it: the frame's document
// request carries the frame's partitioned cookie (`simology_o_<instance>`, which the
// proxy sets on the frame's purchase), so the proxy serves the frame on the order and
// the widget follows it. The cookie is put in the browser for the proxy's origin,
// partitioned under the host page's site, as the proxy's answer would have left it.
// Then the order is paid, and the frame notes when its QR code appears.
import { launch } from '../lib/stack.mjs';

const urls = JSON.parse(process.argv[2]);
const ORDERS = Number(process.env.BENCH_ORDERS || 10);
// The `id` of the bench pages' element.
const INSTANCE = 'japan-shop';

// Notes, from the frame itself, when the QR code appears (in every frame of the page;
// only the widget's frame has one).
const OBSERVER = `
  window.__qrAt = null;
  (function watch() {
    if (document.querySelector('.qr svg')) {
      window.__qrAt = Date.now();
      return;
    }
    requestAnimationFrame(watch);
  })();`;

async function checkout() {
  const r = await fetch(`${urls.proxy}/api/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: urls.page },
    body: JSON.stringify({ sku: 'JP-1GB-7D', quantity: 1, email: 'bench@example.com', locale: 'en',
      intent_id: `bench-${Date.now()}-${Math.random().toString(16).slice(2)}`, return_url: `${urls.page}/`,
      instance: INSTANCE }),
  });
  if (!r.ok) throw new Error(`checkout ${r.status}`);
  return r.json();
}

async function payByHttp(paymentUrl) {
  const r = await fetch(paymentUrl, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'card=4242424242424242&action=pay',
  });
  if (r.status !== 303) throw new Error(`payment ${r.status}`);
}

async function activationSentAt(orderRef) {
  const sessions = await (await fetch(`${urls.sandbox}/sandbox/sessions`)).json();
  const session = sessions.find((s) => s.metadata && s.metadata.order_ref === orderRef);
  const deliveries = await (await fetch(`${urls.sandbox}/sandbox/webhooks`)).json();
  const d = deliveries.find((x) => x.event_type === 'activation.ready' && x.order_id === session.order_id && x.attempt === 1);
  return d && d.sent_at_ms;
}

async function activations(browser, path) {
  const samples = [];
  let lastRef = null;
  for (let i = 0; i < ORDERS; i++) {
    const { order_ref: orderRef, payment_url: paymentUrl } = await checkout();
    const context = await browser.newContext({ viewport: { width: 375, height: 800 } });
    const proxy = new URL(urls.proxy);
    await context.addCookies([{
      name: `simology_o_${INSTANCE}`,
      value: orderRef,
      domain: proxy.hostname,
      path: '/embed',
      expires: Math.floor(Date.now() / 1000) + 86400,
      httpOnly: true,
      secure: true,
      sameSite: 'None',
      // The host page's site: its scheme and host, without the port.
      partitionKey: `${new URL(urls.page).protocol}//${new URL(urls.page).hostname}`,
    }]);
    await context.addInitScript(OBSERVER);
    const page = await context.newPage();
    await page.goto(`${urls.page}${path}`);
    const frame = page.frameLocator('simology-esim iframe');
    try {
      await frame.locator('.status-message').first().waitFor({ timeout: 15000 });
    } catch (e) {
      const picker = await frame.locator('.plan-card').count();
      throw new Error(`the frame did not open on the order${picker ? ' (it shows the plans: its cookie was not sent)' : ''}: ${e.message}`);
    }
    await page.waitForTimeout(400); // the widget is waiting on the order now
    await payByHttp(paymentUrl);
    const widget = page.frames().find((f) => f !== page.mainFrame() && new URL(f.url()).pathname === '/embed');
    await widget.waitForFunction(() => window.__qrAt !== null, null, { timeout: 30000 });
    const shownAt = await widget.evaluate(() => window.__qrAt);
    let sentAt = null;
    for (let t = 0; t < 50 && !sentAt; t++) {
      sentAt = await activationSentAt(orderRef);
      if (!sentAt) await new Promise((r) => setTimeout(r, 50));
    }
    samples.push(shownAt - sentAt);
    lastRef = orderRef;
    await context.close();
  }
  return { samples, lastRef };
}

const browser = await launch();
try {
  const longPoll = await activations(browser, '/');
  const interval = await activations(browser, '/bench-interval.html');
  console.log(JSON.stringify({
    activation_latency_ms: longPoll.samples,
    activation_latency_interval_poll_ms: interval.samples,
    ready_order_ref: longPoll.lastRef,
  }));
} finally {
  await browser.close();
}
