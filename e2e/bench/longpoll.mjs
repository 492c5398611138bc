// Many long-polls on one proxy, for `cargo xtask bench`. The first argument is a JSON
// object: {"urls": <simology-demo --json>, "polls": 10000, "orders": 100, "paid": 10}.
// Prints one JSON object.
//
// It makes `orders` orders (checkout, not paid) and opens `polls` long-polls of
// `GET /api/orders/{ref}?wait=25&version=N` spread evenly over them, each on its own
// connection, as that many waiting widgets would. Once every request is written, it
// pays `paid` of the orders by HTTP on the sandbox's page; their widgets are answered
// at the payment and poll again with the new version (as the widget does), and are
// answered again when the sandbox sends `activation.ready`. The time from the
// sandbox's sending of `activation.ready` (its delivery log) to each waiting poll's
// ready answer is the latency. The polls of the other orders must stay unanswered for
// their whole 25 s wait, then get the unchanged order: that is what "held" counts.
// The proxy's resident memory (`VmRSS`) is sampled while the polls are held.
import http from 'node:http';
import { readFileSync } from 'node:fs';

const args = JSON.parse(process.argv[2]);
const urls = args.urls;
const POLLS = Number(args.polls ?? 10000);
const ORDERS = Number(args.orders ?? 100);
const PAID = Number(args.paid ?? 10);
const WAIT_S = 25;
const proxy = new URL(urls.proxy);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: Infinity });
const now = () => performance.timeOrigin + performance.now();

function memoryMb(field) {
  const status = readFileSync(`/proc/${urls.proxy_pid}/status`, 'utf8');
  const line = status.split('\n').find((l) => l.startsWith(`${field}:`));
  if (!line) throw new Error(`no ${field} in the proxy's /proc status`);
  return Number(line.split(/\s+/)[1]) / 1024;
}

async function checkout(i) {
  const r = await fetch(`${urls.proxy}/api/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: urls.page },
    body: JSON.stringify({ sku: 'JP-1GB-7D', quantity: 1, email: 'longpoll@example.com', locale: 'en',
      intent_id: `longpoll-${Date.now()}-${i}`, return_url: `${urls.page}/` }),
  });
  if (!r.ok) throw new Error(`checkout ${r.status}: ${await r.text()}`);
  const { order_ref: ref, payment_url: paymentUrl } = await r.json();
  const o = await fetch(`${urls.proxy}/api/orders/${ref}`);
  if (!o.ok) throw new Error(`order ${o.status}`);
  return { ref, paymentUrl, version: (await o.json()).version, paid: false };
}

async function pay(order) {
  const r = await fetch(order.paymentUrl, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'card=4242424242424242&action=pay',
  });
  if (r.status !== 303) throw new Error(`payment ${r.status}`);
}

const errors = [];
let inFlight = 0;
let heldFullWait = 0; // polls of unpaid orders answered unchanged after their whole wait
let earlyAnswers = 0; // polls of unpaid orders answered before their wait was over
let lastReadyAt = null;
let othersWaitingAtLastReady = null;
const ready = []; // {order, sentAt, receivedAt} of the paid orders' ready answers
let done = 0;
let finish;
const finished = new Promise((r) => { finish = r; });

function settle() {
  done += 1;
  if (done === POLLS) finish();
}

function poll(order, version) {
  const sentAt = now();
  inFlight += 1;
  const req = http.get({
    agent, host: proxy.hostname, port: proxy.port,
    path: `/api/orders/${order.ref}?wait=${WAIT_S}&version=${version}`,
  }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => {
      const receivedAt = now();
      inFlight -= 1;
      if (res.statusCode !== 200) {
        errors.push(`status ${res.statusCode}`);
        settle();
        return;
      }
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        errors.push(`body: ${e.message}`);
        settle();
        return;
      }
      if (!order.paid) {
        if (body.version !== version) errors.push(`an unpaid order changed: ${body.state}`);
        else if (receivedAt - sentAt >= (WAIT_S - 0.5) * 1000) heldFullWait += 1;
        else earlyAnswers += 1;
        settle();
      } else if (body.state === 'ready') {
        ready.push({ order, sentAt, receivedAt });
        lastReadyAt = receivedAt;
        othersWaitingAtLastReady = inFlight;
        settle();
      } else if (body.state === 'failed' || body.state === 'expired') {
        errors.push(`a paid order ended ${body.state}`);
        settle();
      } else {
        // Paid but not ready yet (or the wait ran out): wait again, as the widget does.
        poll(order, body.version);
      }
    });
  });
  req.on('error', (e) => {
    inFlight -= 1;
    errors.push(e.message);
    settle();
  });
  return new Promise((resolve) => req.on('finish', resolve));
}

async function activationSentAt(refs) {
  const sessions = await (await fetch(`${urls.sandbox}/sandbox/sessions`)).json();
  const deliveries = await (await fetch(`${urls.sandbox}/sandbox/webhooks`)).json();
  const out = new Map();
  for (const ref of refs) {
    const session = sessions.find((s) => s.metadata && s.metadata.order_ref === ref);
    const d = session && deliveries.find((x) => x.event_type === 'activation.ready'
      && x.order_id === session.order_id && x.attempt === 1);
    if (d) out.set(ref, d.sent_at_ms);
  }
  return out;
}

function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

const orders = [];
for (let i = 0; i < ORDERS; i++) orders.push(await checkout(i));
const rssBefore = memoryMb('VmRSS');

// Open the polls in batches, each batch once the previous one's requests are written.
const openedAt = now();
const BATCH = 500;
for (let i = 0; i < POLLS; i += BATCH) {
  const batch = [];
  for (let j = i; j < Math.min(POLLS, i + BATCH); j++) {
    const order = orders[j % ORDERS];
    batch.push(poll(order, order.version));
  }
  await Promise.all(batch);
}
const allSentAt = now();
let rssHeldMax = memoryMb('VmRSS');
const sampler = setInterval(() => {
  try { rssHeldMax = Math.max(rssHeldMax, memoryMb('VmRSS')); } catch { /* the proxy ended */ }
}, 200);

const paidOrders = orders.slice(0, PAID);
for (const o of paidOrders) o.paid = true;
const paidAt = now();
for (const o of paidOrders) await pay(o);

const timeout = setTimeout(() => {
  errors.push(`not every poll was answered within ${WAIT_S + 35} s of the payments`);
  finish();
}, (WAIT_S + 35) * 1000);
await finished;
clearTimeout(timeout);
clearInterval(sampler);
const rssPeak = memoryMb('VmHWM');

const sent = await activationSentAt(paidOrders.map((o) => o.ref));
const latencies = [];
let lateRequests = 0;
for (const r of ready) {
  const at = sent.get(r.order.ref);
  if (at === undefined) {
    errors.push(`no activation.ready delivery for ${r.order.ref}`);
  } else if (r.sentAt > at) {
    // This request went out after activation.ready was sent: it was not waiting.
    lateRequests += 1;
  } else {
    latencies.push(r.receivedAt - at);
  }
}
latencies.sort((a, b) => a - b);
let paidPolls = 0;
for (let j = 0; j < POLLS; j++) if (j % ORDERS < PAID) paidPolls += 1;
agent.destroy();

console.log(JSON.stringify({
  polls: POLLS,
  orders: ORDERS,
  paid_orders: PAID,
  woken_polls: paidPolls,
  open_seconds: (allSentAt - openedAt) / 1000,
  payments_seconds_after_open: (paidAt - allSentAt) / 1000,
  held: heldFullWait + latencies.length,
  held_full_wait: heldFullWait,
  early_answers: earlyAnswers,
  ready_answers: ready.length,
  ready_after_activation_sent: lateRequests,
  others_waiting_at_last_ready: othersWaitingAtLastReady,
  last_ready_after_payment_s: lastReadyAt === null ? null : (lastReadyAt - paidAt) / 1000,
  ready_latency_ms: {
    median: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: latencies.length ? latencies[latencies.length - 1] : null,
    count: latencies.length,
  },
  rss_mb: { before: rssBefore, held_max: rssHeldMax, peak: rssPeak },
  errors: errors.slice(0, 20),
  error_count: errors.length,
}));
