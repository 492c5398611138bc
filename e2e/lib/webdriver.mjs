// A small W3C WebDriver client over Node's fetch, and the two drivers it speaks to:
// WebKitGTK's WebKitWebDriver (under xvfb-run: WebKitGTK needs a display) and
// geckodriver with Debian's Firefox ESR, headless. Nothing here downloads anything: the
// drivers and browsers are Debian's packages and `cargo install geckodriver`, installed
// by `cargo xtask tools`.
//
// Why not selenium-webdriver or webdriverio: both bring a manager that fetches drivers
// and browsers when a path is missing; the dozen endpoints the journeys need are a page
// of code, and every wait stays in the tests' own hands.
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { waitUntil } from './wait.mjs';

export { waitUntil };

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
// Longer than any script may run (the journeys give axe a minute).
const COMMAND_MS = 120000;

/** A WebDriver error answer, with the command that got it. */
export class WebDriverError extends Error {
  constructor(command, status, value) {
    super(`${command}: ${status} ${value?.error ?? ''}: ${value?.message ?? JSON.stringify(value)}`);
    this.code = value?.error;
  }
}

/** A TCP port free on loopback right now (the driver binds it a moment later). */
async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** An element of a session. */
export class Element {
  constructor(session, id) {
    this.session = session;
    this.id = id;
  }

  toJSON() {
    return { [ELEMENT]: this.id };
  }

  click() {
    return this.session.command('POST', `/element/${this.id}/click`, {});
  }

  /** Empties an input (W3C "Element Clear"). */
  clear() {
    return this.session.command('POST', `/element/${this.id}/clear`, {});
  }

  /** Types into the element (W3C "Element Send Keys"). */
  type(text) {
    return this.session.command('POST', `/element/${this.id}/value`, { text });
  }

  text() {
    return this.session.command('GET', `/element/${this.id}/text`);
  }

  /** A PNG of the element alone. */
  async screenshot() {
    return Buffer.from(await this.session.command('GET', `/element/${this.id}/screenshot`), 'base64');
  }
}

/** One browser session. */
export class Session {
  constructor(base, id, capabilities) {
    this.base = base;
    this.id = id;
    this.capabilities = capabilities;
  }

  /**
   * Sends a command; returns the answer's `value` or throws a [`WebDriverError`]. A
   * driver that does not answer within `COMMAND_MS` fails the command, not the run.
   */
  async command(method, path, body) {
    let response;
    try {
      response = await fetch(`${this.base}/session/${this.id}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(COMMAND_MS),
      });
    } catch (e) {
      if (e.name === 'TimeoutError') throw new WebDriverError(`${method} ${path}`, 'no answer', { message: `in ${COMMAND_MS} ms` });
      throw e;
    }
    const text = await response.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      throw new WebDriverError(`${method} ${path}`, response.status, { message: text.slice(0, 200) });
    }
    if (!response.ok) throw new WebDriverError(`${method} ${path}`, response.status, json.value);
    return this.revive(json.value);
  }

  /** Turns element references in an answer into [`Element`]s. */
  revive(value) {
    if (Array.isArray(value)) return value.map((v) => this.revive(v));
    if (value && typeof value === 'object') {
      if (typeof value[ELEMENT] === 'string') return new Element(this, value[ELEMENT]);
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.revive(v)]));
    }
    return value;
  }

  navigate(url) {
    return this.command('POST', '/url', { url });
  }

  url() {
    return this.command('GET', '/url');
  }

  /** Reloads the page (W3C "Refresh"). */
  refresh() {
    return this.command('POST', '/refresh', {});
  }

  setWindowRect(rect) {
    return this.command('POST', '/window/rect', rect);
  }

  /** Runs a script in the page (its `arguments` are `args`); elements come back as [`Element`]s. */
  execute(script, ...args) {
    return this.command('POST', '/execute/sync', { script, args });
  }

  /** Runs a script whose last argument is the callback to call with the result. */
  executeAsync(script, ...args) {
    return this.command('POST', '/execute/async', { script, args });
  }

  setTimeouts(timeouts) {
    return this.command('POST', '/timeouts', timeouts);
  }

  /** The first element of the document matching a CSS selector, or null. */
  async find(css) {
    try {
      return await this.command('POST', '/element', { using: 'css selector', value: css });
    } catch (e) {
      if (e.code === 'no such element') return null;
      throw e;
    }
  }

  /**
   * Makes `frame` (an `<iframe>` element of the current browsing context) the context
   * that finding, scripts and clicks work in (W3C "Switch To Frame").
   */
  switchToFrame(frame) {
    return this.command('POST', '/frame', { id: frame });
  }

  /** Back to the top-level document (after a frame, or when the frame has gone). */
  switchToTop() {
    return this.command('POST', '/frame', { id: null });
  }

  /** A PNG of the viewport. */
  async screenshot() {
    return Buffer.from(await this.command('GET', '/screenshot'), 'base64');
  }

  async close() {
    await fetch(`${this.base}/session/${this.id}`, { method: 'DELETE' }).catch(() => {});
  }
}

const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/** A port nothing listens on: a proxy there refuses every connection. */
const DEAD_PROXY = new URL('http://127.0.0.1:9');

/**
 * What Firefox has logged from web pages, in its parent process (where the browser's
 * own messages are too: "Attempting to navigate the top-level browsing context from
 * frame ... which is neither same-origin nor has the required user interaction"):
 * `{ level, text, source }`, oldest first. Needs geckodriver's `--allow-system-access`.
 */
const FIREFOX_CONSOLE = `
  const web = (source) => /^https?:/.test(source || '');
  const level = (m) => (m.flags & Ci.nsIScriptError.warningFlag) ? 'warning'
    : (m.flags & Ci.nsIScriptError.infoFlag) ? 'info' : 'error';
  const browser = Services.console.getMessageArray()
    .filter((m) => m instanceof Ci.nsIScriptError && web(m.sourceName))
    .map((m) => ({ time: m.timeStamp, level: level(m), text: m.errorMessage, source: m.sourceName }));
  const pages = Cc['@mozilla.org/consoleAPI-storage;1'].getService(Ci.nsIConsoleAPIStorage).getEvents()
    .filter((e) => web(e.filename))
    .map((e) => ({ time: e.timeStamp, level: e.level, text: Array.from(e.arguments || [], (a) => String(a)).join(' '), source: e.filename }));
  return browser.concat(pages).sort((a, b) => a.time - b.time).map(({ time, ...m }) => m);
`;

/**
 * How each engine's driver starts and what its new session asks for. `userAgent` makes
 * the browser present itself as a phone; neither engine can emulate a touch screen or a
 * device pixel ratio over classic WebDriver, so the window is sized like a phone instead.
 * `proxy` (a URL) is where every address but loopback's goes. `console` reads what
 * the pages logged, where the engine tells (else it is absent).
 */
const ENGINES = {
  webkit: {
    // xvfb-run removes its temporary folder only when its command ends by itself: the
    // driver and Xvfb are stopped, not xvfb-run.
    stop: 'children',
    command: (port) => ['xvfb-run', ['--auto-servernum', '--server-args=-screen 0 1280x1024x24',
      process.env.WEBKIT_WEBDRIVER || '/usr/bin/WebKitWebDriver', `--port=${port}`]],
    capabilities: ({ userAgent, proxy }) => ({
      'webkitgtk:browserOptions': {
        binary: process.env.MINIBROWSER || MINIBROWSER,
        // With a binary named, the driver passes exactly these arguments: the browser
        // must be told it is automated. Loopback only (all of 127.0.0.0/8: the demo's
        // blogs are other sites than its proxy, on 127.0.0.2 and 127.0.0.3): every other
        // host goes to the proxy. (MiniBrowser's `--enable-write-console-messages-to-stdout`
        // would give the pages' console, but WebKit writes none for an ephemeral session,
        // and an automated MiniBrowser's is always ephemeral.)
        args: ['--automation', `--proxy=${proxy.origin}`, '--ignore-host=127.0.0.0/8', '--ignore-host=localhost',
          ...(userAgent ? [`--user-agent=${userAgent}`] : [])],
      },
    }),
  },
  firefox: {
    stop: 'group',
    command: (port) => [process.env.GECKODRIVER || 'geckodriver',
      // System access: to read the browser's console (`FIREFOX_CONSOLE`).
      ['--port', String(port), '--binary', process.env.FIREFOX || '/usr/bin/firefox-esr', '--log', 'error',
        '--allow-system-access']],
    async console(session) {
      await session.command('POST', '/moz/context', { context: 'chrome' });
      try {
        return await session.execute(FIREFOX_CONSOLE);
      } finally {
        await session.command('POST', '/moz/context', { context: 'content' });
      }
    },
    capabilities: ({ userAgent, proxy }) => ({
      browserName: 'firefox',
      'moz:firefoxOptions': {
        args: ['-headless'],
        prefs: {
          ...(userAgent ? { 'general.useragent.override': userAgent } : {}),
          // Loopback only: every other address goes to the proxy, and no DNS over
          // HTTPS. The demo's hosts, 127.0.0.1 to 127.0.0.3, bypass it: Firefox never
          // sends loopback to a proxy unless allowed to (`allow_hijacking_localhost`),
          // and `no_proxies_on` says so again.
          'network.proxy.type': 1,
          'network.proxy.no_proxies_on': 'localhost, 127.0.0.0/8',
          'network.proxy.http': proxy.hostname,
          'network.proxy.http_port': Number(proxy.port),
          'network.proxy.ssl': proxy.hostname,
          'network.proxy.ssl_port': Number(proxy.port),
          'network.proxy.allow_hijacking_localhost': false,
          'network.trr.mode': 5,
          'network.captive-portal-service.enabled': false,
          'network.connectivity-service.enabled': false,
          'browser.safebrowsing.update.enabled': false,
          'app.update.disabledForTesting': true,
          'datareporting.policy.dataSubmissionEnabled': false,
          'toolkit.telemetry.enabled': false,
        },
      },
    }),
  },
};

/**
 * Starts an engine's driver on a free loopback port and opens a session with it, the
 * browser sending every address but loopback's to `proxy` (an http:// URL on loopback;
 * by default a port where nothing listens). Resolves to `{ session, console, stop }`;
 * `console()` resolves to what the pages logged (`{ level, text, source }`), or null
 * where the engine does not tell (WebKit); `stop` closes the session and ends the
 * driver's process group (the driver, and for WebKit xvfb-run and its Xvfb).
 */
export async function startEngine(engine, { userAgent, proxy = DEAD_PROXY } = {}) {
  const spec = ENGINES[engine];
  if (!spec) throw new Error(`unknown engine ${engine}; known: ${Object.keys(ENGINES).join(', ')}`);
  proxy = new URL(proxy);
  if (proxy.protocol !== 'http:' || !proxy.port) throw new Error(`the proxy must be http://host:port, got ${proxy.href}`);
  const port = await freePort();
  const [program, args] = spec.command(port);
  const child = spawn(program, args, {
    detached: true,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited = null;
  // Should this process end abruptly, the driver's group goes with it.
  const onExit = () => { if (exited === null) try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } };
  process.once('exit', onExit);
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => { exited = code ?? signal; resolve(); }));
  child.once('error', (e) => { exited = e.message; });
  const base = `http://127.0.0.1:${port}`;
  const stopDriver = async () => {
    if (exited === null) {
      const children = () => {
        try {
          return execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
        } catch {
          return [];
        }
      };
      const pids = spec.stop === 'children' ? children() : [];
      if (pids.length > 0) {
        for (const pid of pids) try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
      } else {
        try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      }
      await exit;
    }
    process.off('exit', onExit);
  };
  try {
    const up = await waitUntil(`${program} to answer on port ${port}`, async () => {
      if (exited !== null) return 'exited';
      const r = await fetch(`${base}/status`);
      return r.ok && (await r.json()).value?.ready !== false && 'ready';
    }, { timeout: 30000 });
    if (up === 'exited') throw new Error(`${program} ${args.join(' ')} ended before answering (${exited})`);
    const r = await fetch(`${base}/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ capabilities: { alwaysMatch: spec.capabilities({ userAgent, proxy }) } }),
    });
    const answer = await r.json();
    if (!r.ok) throw new WebDriverError('new session', r.status, answer.value);
    const session = new Session(base, answer.value.sessionId, answer.value.capabilities);
    return {
      session,
      console: async () => (spec.console ? spec.console(session) : null),
      async stop() {
        await session.close();
        await stopDriver();
      },
    };
  } catch (e) {
    await stopDriver();
    throw e;
  }
}
