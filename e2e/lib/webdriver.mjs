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

  /** Sends a command; returns the answer's `value` or throws a [`WebDriverError`]. */
  async command(method, path, body) {
    const response = await fetch(`${this.base}/session/${this.id}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
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
   * The first element matching `css` inside the open shadow root of the element
   * matching `host`, or null; by a script, which every engine runs the same way (the
   * standard's shadow-root commands are newer than some drivers).
   */
  shadowFind(host, css) {
    return this.execute(
      'const h = document.querySelector(arguments[0]); return (h && h.shadowRoot && h.shadowRoot.querySelector(arguments[1])) || null;',
      host, css);
  }

  /** Texts of every element matching `css` in a shadow root. */
  shadowTexts(host, css) {
    return this.execute(
      'const h = document.querySelector(arguments[0]); if (!h || !h.shadowRoot) return []; '
        + 'return Array.from(h.shadowRoot.querySelectorAll(arguments[1]), (e) => e.textContent.trim());',
      host, css);
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

/**
 * How each engine's driver starts and what its new session asks for. `userAgent` makes
 * the browser present itself as a phone; neither engine can emulate a touch screen or a
 * device pixel ratio over classic WebDriver, so the window is sized like a phone instead.
 */
const ENGINES = {
  webkit: {
    // xvfb-run removes its temporary folder only when its command ends by itself: the
    // driver and Xvfb are stopped, not xvfb-run.
    stop: 'children',
    command: (port) => ['xvfb-run', ['--auto-servernum', '--server-args=-screen 0 1280x1024x24',
      process.env.WEBKIT_WEBDRIVER || '/usr/bin/WebKitWebDriver', `--port=${port}`]],
    capabilities: ({ userAgent }) => ({
      'webkitgtk:browserOptions': {
        binary: process.env.MINIBROWSER || MINIBROWSER,
        // With a binary named, the driver passes exactly these arguments: the browser
        // must be told it is automated. Loopback only: every other host goes to a proxy
        // that is not there.
        args: ['--automation', '--proxy=http://127.0.0.1:9', '--ignore-host=127.0.0.1', '--ignore-host=localhost',
          ...(userAgent ? [`--user-agent=${userAgent}`] : [])],
      },
    }),
  },
  firefox: {
    stop: 'group',
    command: (port) => [process.env.GECKODRIVER || 'geckodriver',
      ['--port', String(port), '--binary', process.env.FIREFOX || '/usr/bin/firefox-esr', '--log', 'error']],
    capabilities: ({ userAgent }) => ({
      browserName: 'firefox',
      'moz:firefoxOptions': {
        args: ['-headless'],
        prefs: {
          ...(userAgent ? { 'general.useragent.override': userAgent } : {}),
          // Loopback only: every other address goes to a proxy that is not there (the
          // demo's own hosts are 127.0.0.1 and bypass it), and no DNS over HTTPS.
          'network.proxy.type': 1,
          'network.proxy.http': '127.0.0.1',
          'network.proxy.http_port': 9,
          'network.proxy.ssl': '127.0.0.1',
          'network.proxy.ssl_port': 9,
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
 * Starts an engine's driver on a free loopback port and opens a session with it.
 * Resolves to `{ session, stop }`; `stop` closes the session and ends the driver's
 * process group (the driver, and for WebKit xvfb-run and its Xvfb).
 */
export async function startEngine(engine, { userAgent } = {}) {
  const spec = ENGINES[engine];
  if (!spec) throw new Error(`unknown engine ${engine}; known: ${Object.keys(ENGINES).join(', ')}`);
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
      body: JSON.stringify({ capabilities: { alwaysMatch: spec.capabilities({ userAgent }) } }),
    });
    const answer = await r.json();
    if (!r.ok) throw new WebDriverError('new session', r.status, answer.value);
    const session = new Session(base, answer.value.sessionId, answer.value.capabilities);
    return {
      session,
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
