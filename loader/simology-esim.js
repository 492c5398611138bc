/* simology-esim.js: the <simology-esim> element, for partners' pages.
 *
 * Partners include it with one tag:
 *   <script src="https://cdn.example/simology-esim.js" integrity="sha384-..." crossorigin="anonymous" async></script>
 *
 * The page is not ours, and neither are its other scripts: an ad network, an analytics
 * or session-replay tag can read anything in the page's own realm (its storage, its
 * address, its DOM and shadow roots, its `fetch`, its key events). So this script holds
 * nothing of the shop. For each element it makes one frame, whose document the partner's
 * proxy serves from its own origin (`GET /embed`): the widget, its requests, its storage,
 * the traveller's email and eSIM all live there. Here it only:
 * - checks the element's attributes and passes them, with the `--simology-*` theme
 *   properties set on the element and the page's address, in the frame's address (the
 *   proxy checks every value again);
 * - for an affiliate's element with a `click-param` (`click-param="irclickid"`), passes
 *   the network's click id from that parameter of the page's address (the frame's
 *   checkout sends it; the proxy checks it again), and leaves the parameter out of the
 *   page's address the frame returns to after the payment page;
 * - sizes the frame to its content, taking messages only from that frame's window and
 *   the proxy's origin;
 * - dispatches the widget's public events on the element (`simology:shown`,
 *   `simology:plan-chosen`...: no order, code or email in any of them);
 * - tells the frame when the element has been seen, for an affiliate's funnel;
 * - shows a message in the traveller's language when the frame cannot load (the proxy
 *   down, or a page the proxy does not allow to embed it), never a browser's error page.
 *
 * `cargo xtask dist` fills in the words and the theme properties' names and minifies it.
 * Nothing is added to the page's globals; running it twice (single-page apps) is safe.
 */
(function () {
  "use strict";
  if (typeof customElements === "undefined" || customElements.get("simology-esim")) return;

  var WORDS = /*__WORDS__*/;
  var THEME = /*__THEME__*/;
  var ATTRIBUTES = ["country", "region", "locale", "theme", "affiliate", "placement", "poll-interval", "compat-check"];
  var EVENTS = ["shown", "destination-chosen", "plan-chosen", "checkout-started", "paid", "ready", "error"];
  var DETAIL = ["sku", "destination", "quantity", "amount_minor", "currency", "analytics_id", "code"];
  // The payment page's return names the widget, never the order.
  var RETURN = /^#simology-(paid|cancelled)=([A-Za-z0-9_-]{1,40})$/;
  // The shadow-root embed's return named the order: it goes from the address at once.
  var LEGACY = /^#simology-(order|cancel)=o_[0-9a-f]{32}$/;
  // An affiliate network's click id, as the proxy takes it (`is_valid_click_id`).
  var CLICK_ID = /^[A-Za-z0-9._~-]{1,200}$/;
  // How long a frame may take to say it is there once its document loaded, and at
  // most to load at all, before the element says the shop is unavailable.
  var HELLO_AFTER_LOAD_MS = 3000;
  var LOAD_MS = 20000;
  var SHOWN_MS = 1000;
  var STYLE = ":host{display:block}iframe{display:block;width:100%;height:180px;border:0;background:transparent}" +
    ".down{box-sizing:border-box;min-height:120px;border:1px solid #c5ccd6;border-radius:var(--simology-radius,12px);" +
    "background:var(--simology-bg,#fff);padding:16px;font:16px/1.5 var(--simology-font,system-ui,sans-serif);" +
    "color:var(--simology-text,#14171f)}[hidden]{display:none!important}";

  var frames = [];
  var counter = 0;
  // Each element's instance, kept across its frames.
  var instances = typeof WeakMap === "undefined" ? null : new WeakMap();
  var sheet = null;

  var returned = RETURN.exec(location.hash);
  if (returned || LEGACY.test(location.hash)) {
    try {
      history.replaceState(history.state, "", location.pathname + location.search);
    } catch (e) {
      // A page that forbids it keeps its fragment; nothing in it is secret.
    }
  }

  function own(object, key) {
    return Object.prototype.hasOwnProperty.call(object, key);
  }

  // The widget's language: its `locale` attribute, else the traveller's (the
  // browser's), else the page's; English when none is one of the widget's.
  function language(locale) {
    var tags = [locale]
      .concat(navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language])
      .concat([document.documentElement && document.documentElement.lang]);
    for (var i = 0; i < tags.length; i++) {
      var primary = typeof tags[i] === "string" ? tags[i].trim().split(/[-_]/)[0].toLowerCase() : "";
      if (own(WORDS, primary)) return primary;
    }
    return "en";
  }

  // The proxy's origin, from the `proxy` attribute: an http(s) address.
  function proxyOrigin(text) {
    try {
      var url = new URL((text || "").trim());
      return url.protocol === "https:" || url.protocol === "http:" ? url : null;
    } catch (e) {
      return null;
    }
  }

  function frameAddress(host, proxy, instance) {
    var params = new URLSearchParams();
    params.set("instance", instance);
    for (var i = 0; i < ATTRIBUTES.length; i++) {
      // Values are the frame's to check (compat-check's among them: its bytes would
      // come before the first plan here).
      var value = (host.getAttribute(ATTRIBUTES[i]) || "").trim();
      if (value && value.length <= 200) params.set(ATTRIBUTES[i], value);
    }
    var style = getComputedStyle(host);
    for (var j = 0; j < THEME.length; j++) {
      var v = style.getPropertyValue("--simology-" + THEME[j]).trim();
      if (v && v.length <= 200) params.set("css-" + THEME[j], v);
    }
    if (document.documentElement.lang) params.set("lang", document.documentElement.lang.slice(0, 35));
    var page = location.href.split("#")[0];
    var clickParam = (host.getAttribute("click-param") || "").trim();
    if (clickParam) {
      var url = new URL(page);
      var click = url.searchParams.get(clickParam);
      if (click !== null) {
        if (host.hasAttribute("affiliate") && CLICK_ID.test(click)) params.set("click_id", click);
        url.searchParams.delete(clickParam);
        page = url.href;
      }
    }
    params.set("page", page);
    if (returned && returned[2] === instance) {
      params.set("return", returned[1]);
      // Once: a frame made again later (a changed attribute) is not back from paying.
      returned = null;
    }
    var base = proxy.href.replace(/\/+$/, "");
    return base + "/embed?" + params.toString();
  }

  function entryOf(source) {
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].frame.contentWindow === source) return frames[i];
    }
    return null;
  }

  // A copy of an event's detail with only its documented members, of plain types.
  function detailOf(given) {
    var detail = {};
    if (!given || typeof given !== "object") return detail;
    for (var i = 0; i < DETAIL.length; i++) {
      var key = DETAIL[i];
      var value = own(given, key) ? given[key] : undefined;
      if (typeof value === "string" || (typeof value === "number" && isFinite(value))) detail[key] = value;
    }
    return detail;
  }

  function post(entry, message) {
    try {
      entry.frame.contentWindow.postMessage(message, entry.origin);
    } catch (e) {
      // A frame that navigated away takes no message.
    }
  }

  window.addEventListener("message", function (e) {
    var entry = entryOf(e.source);
    if (!entry || e.origin !== entry.origin || !e.data || typeof e.data !== "object") return;
    var data = e.data;
    if (data.type === "simology:hello") {
      entry.alive = true;
      entry.ok();
    } else if (data.type === "simology:size") {
      var height = Number(data.height);
      if (isFinite(height) && height > 0 && height < 20000) entry.frame.style.height = Math.ceil(height) + "px";
    } else if (data.type === "simology:ready") {
      entry.ready = true;
      if (entry.seen) post(entry, { type: "simology:shown" });
    } else if (data.type === "simology:event" && EVENTS.indexOf(data.name) >= 0) {
      entry.host.dispatchEvent(new CustomEvent("simology:" + data.name, {
        detail: detailOf(data.detail),
        bubbles: true,
        composed: true
      }));
    }
  });

  // The funnel's first step: the element at least half visible (or, taller than two
  // screens, filling half the screen) for one second; once per element and page view.
  // The frame decides whether it counts (not on an order) and reports it.
  function watchShown(entry) {
    if (typeof IntersectionObserver === "undefined") return null;
    var timer = null, steps = [];
    for (var i = 0; i <= 20; i++) steps.push(i / 20);
    var observer = new IntersectionObserver(function (entries) {
      var e = entries[entries.length - 1];
      var seen = e.isIntersecting && (e.intersectionRatio >= 0.5 ||
        (e.rootBounds !== null && e.intersectionRect.height * 2 >= e.rootBounds.height));
      if (seen && timer === null) {
        timer = setTimeout(function () {
          observer.disconnect();
          entry.seen = true;
          if (entry.ready) post(entry, { type: "simology:shown" });
        }, SHOWN_MS);
      } else if (!seen && timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
    }, { threshold: steps });
    observer.observe(entry.host);
    return function () {
      observer.disconnect();
      if (timer !== null) clearTimeout(timer);
    };
  }

  function stop(host) {
    for (var i = frames.length - 1; i >= 0; i--) {
      if (frames[i].host === host) {
        frames[i].stop();
        frames.splice(i, 1);
      }
    }
  }

  function start(host) {
    stop(host);
    var shadow = host.shadowRoot || host.attachShadow({ mode: "open" });
    if (!sheet) {
      try {
        sheet = new CSSStyleSheet();
        sheet.replaceSync(STYLE);
      } catch (e) {
        sheet = null;
      }
    }
    if (sheet) shadow.adoptedStyleSheets = [sheet];
    while (shadow.firstChild) shadow.removeChild(shadow.firstChild);
    var lang = language(host.getAttribute("locale"));
    var down = document.createElement("div");
    down.className = "down";
    down.setAttribute("role", "alert");
    down.hidden = true;
    down.textContent = WORDS[lang].shop_unavailable;
    var proxy = proxyOrigin(host.getAttribute("proxy"));
    if (!proxy) {
      if (window.console) console.error("simology-esim: the proxy attribute must be the http(s) address of your proxy");
      down.hidden = false;
      shadow.appendChild(down);
      return;
    }
    var instance = instances && instances.get(host);
    if (!instance) {
      instance = (host.id || "simology-" + counter++).trim().replace(/[^A-Za-z0-9_-]/g, "").slice(0, 40) || "simology";
      if (instances) instances.set(host, instance);
    }
    var frame = document.createElement("iframe");
    frame.title = WORDS[lang].widget_label;
    frame.setAttribute("allow", "clipboard-write; web-share");
    frame.src = frameAddress(host, proxy, instance);
    var timers = [];
    var entry = {
      host: host,
      frame: frame,
      origin: proxy.origin,
      alive: false,
      ready: false,
      seen: false,
      ok: function () {
        down.hidden = true;
        frame.hidden = false;
      },
      fail: function () {
        if (entry.alive) return;
        frame.hidden = true;
        down.hidden = false;
        if (window.console) console.error("simology-esim: the shop's frame did not load from " + proxy.origin +
          " (is the proxy up, and does it allow this page's origin to embed it?)");
      },
      stop: null
    };
    frame.addEventListener("load", function () {
      if (!entry.alive) timers.push(setTimeout(entry.fail, HELLO_AFTER_LOAD_MS));
    });
    timers.push(setTimeout(entry.fail, LOAD_MS));
    var unwatch = host.hasAttribute("affiliate") ? watchShown(entry) : null;
    entry.stop = function () {
      for (var i = 0; i < timers.length; i++) clearTimeout(timers[i]);
      if (unwatch) unwatch();
      if (frame.parentNode) frame.parentNode.removeChild(frame);
    };
    frames.push(entry);
    shadow.appendChild(frame);
    shadow.appendChild(down);
  }

  var SimologyEsim = function () {
    return Reflect.construct(HTMLElement, [], SimologyEsim);
  };
  SimologyEsim.prototype = Object.create(HTMLElement.prototype);
  SimologyEsim.prototype.constructor = SimologyEsim;
  Object.setPrototypeOf(SimologyEsim, HTMLElement);
  Object.defineProperty(SimologyEsim, "observedAttributes", {
    get: function () { return ["proxy", "click-param"].concat(ATTRIBUTES); }
  });

  SimologyEsim.prototype.connectedCallback = function () {
    start(this);
  };

  SimologyEsim.prototype.disconnectedCallback = function () {
    stop(this);
  };

  // A changed attribute (a single-page app moving to another country) makes a new frame.
  SimologyEsim.prototype.attributeChangedCallback = function (name, before, after) {
    if (before !== after && this.isConnected && frames.some(function (f) { return f.host === this; }, this)) start(this);
  };

  customElements.define("simology-esim", SimologyEsim);
})();
