// The HTTP proxy the WebDriver engines are given, so that nothing they do reaches past
// loopback: it answers every request (plain HTTP, and HTTPS's CONNECT) with 502 and
// records which host was asked for. The engines bypass it for loopback (127.0.0.0/8
// and localhost), so a test can also check that the demo's sites were reached
// directly and that any other address was not.
import { createServer } from 'node:net';

const MAX_SEEN = 1000;

/** Starts the proxy on a free loopback port; resolves to `{ url, seen(), stop() }`. */
export async function startProxySink() {
  const seen = [];
  const open = new Set();
  const server = createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (chunk) => {
      if (head === null) return;
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n');
      if (end < 0 && head.length < 8192) return;
      const [method = '', target = ''] = head.slice(0, end < 0 ? 200 : end).split(' ');
      head = null;
      if (seen.length < MAX_SEEN) seen.push({ method, host: hostOf(method, target) });
      socket.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    });
  });
  await new Promise((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    /** Every request so far: `{ method, host }` (the host without its port). */
    seen: () => seen.slice(),
    stop: () => new Promise((resolve) => {
      server.close(resolve);
      for (const socket of open) socket.destroy();
    }),
  };
}

/** The host a proxy request is for: `CONNECT host:443`, or `GET http://host/...`. */
function hostOf(method, target) {
  try {
    return method === 'CONNECT' ? new URL(`http://${target}`).hostname : new URL(target).hostname;
  } catch {
    return target.slice(0, 100);
  }
}
