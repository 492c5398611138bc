// A webhook relay between the sandbox and the proxy, on loopback, so a test can hold
// back one kind of event and let the widget sit in the state before it for as long as
// the test needs (the order status while the eSIM is being prepared), then release it.
// The sandbox is pointed at the relay with its `PUT /sandbox/webhook-endpoint` control;
// bodies and signature headers pass through untouched, so the proxy verifies them as
// it would the sandbox's own delivery.
import { createServer } from 'node:http';

const SIGNATURE = 'simology-signature';

export async function startRelay(urls) {
  const target = `${urls.proxy}/webhooks/simology`;
  const holding = new Set();
  const held = [];
  const forward = async ({ body, signature }) => {
    const r = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE]: signature },
      body,
    });
    return r.status;
  };
  const server = createServer(async (req, res) => {
    try {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const body = Buffer.concat(chunks);
      const event = { body, signature: req.headers[SIGNATURE] ?? '' };
      let type = null;
      try {
        type = JSON.parse(body.toString('utf8')).type;
      } catch {
        // Not JSON: the proxy refuses it, as it should.
      }
      if (holding.has(type)) {
        held.push({ ...event, type });
        res.writeHead(204).end();
        return;
      }
      res.writeHead(await forward(event)).end();
    } catch {
      res.writeHead(502).end();
    }
  });
  await new Promise((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
  const relayUrl = `http://127.0.0.1:${server.address().port}/webhooks/simology`;
  const point = async (url) => {
    const r = await fetch(`${urls.sandbox}/sandbox/webhook-endpoint`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url }),
    });
    if (r.status !== 204) throw new Error(`the sandbox refused the webhook endpoint ${url}: ${r.status}`);
  };
  await point(relayUrl);
  return {
    /** From now on, events of this type are kept instead of forwarded. */
    hold(type) {
      holding.add(type);
    },
    /** How many events of a type are being kept. */
    heldCount(type) {
      return held.filter((e) => e.type === type).length;
    },
    /** Forwards every kept event, in arrival order, and stops holding. */
    async release() {
      holding.clear();
      for (const event of held.splice(0)) {
        const status = await forward(event);
        if (status < 200 || status > 299) throw new Error(`the proxy answered ${status} to a released ${event.type}`);
      }
    },
    /** Points the sandbox back at the proxy and closes the relay. */
    async stop() {
      await point(target).catch(() => {});
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
