// The devices the widget is tested as: user agents and screens of the phones travellers
// buy on, and a desktop. The widget's ready view depends on the user agent
// (`crates/widget-core/src/install.rs`): iOS 17.4+ and Android get a one-tap install
// button, iOS 16 the details to enter by hand, computers the QR code.

export const USER_AGENTS = {
  ios17: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  ios16: 'Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
  android: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  androidFirefox: 'Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0',
};

/**
 * Playwright context options per device class, the install button each should see, and
 * what its ready view leads with (`install`: the one-tap button; `manual`: the details
 * to enter by hand; `qr`: the QR code). On the phones the QR code waits behind "Install
 * on another device".
 */
export const DEVICES = {
  'iphone-ios17': {
    context: { userAgent: USER_AGENTS.ios17, viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true },
    install: 'Install on this iPhone',
    lead: 'install',
  },
  'iphone-ios16': {
    context: { userAgent: USER_AGENTS.ios16, viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true },
    install: null,
    lead: 'manual',
  },
  android: {
    context: { userAgent: USER_AGENTS.android, viewport: { width: 412, height: 915 }, deviceScaleFactor: 2.625, isMobile: true, hasTouch: true },
    install: 'Install on this phone',
    lead: 'install',
  },
  desktop: {
    context: { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 },
    install: null,
    lead: 'qr',
  },
};
