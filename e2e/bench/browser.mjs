// The browser of the bench's scripts: Debian's Chromium, headless, as `lib/stack.mjs`
// launches it for the tests, with one difference: a cross-site frame runs in its
// page's renderer process, as on a phone.
//
// Why: desktop Chromium puts every site in a process of its own (site isolation), so
// the widget's frame (the proxy's site) would run in a second renderer. DevTools' CPU
// throttling (`Emulation.setCPUThrottlingRate`) slows one renderer: the page's. The
// frame would then run at full speed on a "4x slower" phone, and the figures would
// flatter the widget (measured: a busy loop in the frame ran 6.6x more iterations than
// with the frame in the page's process). Chrome on Android isolates only the sites a
// traveller logs in to (partial site isolation), so a widget's frame on a blog shares
// the blog's process there. `frameTargets` lets a script check that no frame escaped.
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
      '--disable-site-isolation-trials', '--disable-features=IsolateOrigins,site-per-process'],
  });
}

/** The browser's out-of-process frames (DevTools targets of type `iframe`). */
export async function frameTargets(browser) {
  const session = await browser.newBrowserCDPSession();
  try {
    const { targetInfos } = await session.send('Target.getTargets');
    return targetInfos.filter((t) => t.type === 'iframe').map((t) => t.url);
  } finally {
    await session.detach();
  }
}

/** The length of brotli quality 11, 16 MiB window (as `xtask`'s `bench::brotli`), of some bytes. */
export function brotliSize(bytes) {
  return zlib.brotliCompressSync(bytes, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_LGWIN]: 24,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  }).length;
}
