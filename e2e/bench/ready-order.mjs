// Makes one ready order on a running demo stack (URLs as the first argument) and prints
// its reference: test data for schemathesis.
const urls = JSON.parse(process.argv[2]);
const r = await fetch(`${urls.proxy}/api/checkout`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', origin: urls.page },
  body: JSON.stringify({ sku: 'JP-1GB-7D', quantity: 1, email: 'schema@example.com', locale: 'en',
    intent_id: `schemathesis-${Date.now()}`, return_url: `${urls.page}/` }),
});
if (!r.ok) throw new Error(`checkout ${r.status}`);
const { order_ref: orderRef, payment_url: paymentUrl } = await r.json();
const paid = await fetch(paymentUrl, { method: 'POST', redirect: 'manual',
  headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'card=4242424242424242&action=pay' });
if (paid.status !== 303) throw new Error(`payment ${paid.status}`);
for (let i = 0; i < 100; i++) {
  const o = await (await fetch(`${urls.proxy}/api/orders/${orderRef}?wait=5`)).json();
  if (o.state === 'ready') {
    console.log(orderRef);
    process.exit(0);
  }
}
throw new Error('the order never got ready');
