/* simology-esim.js: defines the <simology-esim> element and loads the widget into it.
 *
 * `cargo xtask dist` builds this file: it puts each wasm module's wasm-bindgen glue in
 * a function scope of its own, adds the pre-render (`prerender.js`), the widget's
 * stylesheet and the pre-render's words, wraps it all in one function so that nothing
 * leaks into the host page's globals, and fills in the wasm files' integrity hashes.
 * Partners include it with one tag:
 *   <script src="https://cdn.example/simology-esim.js" integrity="sha384-..." crossorigin="anonymous" async></script>
 *
 * For each element:
 * - a shadow root with the widget's stylesheet (constructed: strict CSPs allow it) and
 *   a placeholder frame;
 * - the wasm module the widget opens on: `status` when the page returns from payment
 *   with this widget's order (`#simology-order=...`) or this widget has an unfinished
 *   order from the last day (localStorage), as the wasm's `Screen::initial` decides;
 *   else `picker`. A wrong guess costs time only: the module hands the screen over;
 * - on the picker, the destination's catalogue, requested at the same moment as the
 *   wasm; its plans drawn as soon as it arrives (`prerender`); and the answer handed
 *   to the wasm, whose elements replace the drawing, unchanged, at the traveller's
 *   first action, done again on them (`Drawn`);
 * - the wasm fetched with its integrity hash and compiled as it downloads
 *   (wasm-bindgen's glue uses `WebAssembly.instantiateStreaming`, which the
 *   `application/wasm` type allows).
 */
  var MODULES = /*__MODULES__*/;
  var CSS = /*__CSS__*/;
  var WORDS = /*__WORDS__*/;
  var ATTRIBUTES = ["proxy", "country", "region", "locale", "theme", "poll-interval", "affiliate", "placement"];
  var ORDERS_KEY = "simology-esim.orders";
  var RETURN = /^#*simology-(order|cancel)=(o_[0-9a-f]{32})$/;
  var DAY_MS = 24 * 3600 * 1000;
  var base = (document.currentScript && document.currentScript.src) || location.href;
  // The fragment as the page opened: a widget cleans it from the address bar when it
  // mounts, and the page's other widgets may mount later.
  var hash = location.hash;
  var modules = {};
  var catalogs = {};
  var sheets = null;
  var counter = 0;

  // The placeholder shown until something is drawn: the widget's frame.
  var PLACEHOLDER = ".wait{box-sizing:border-box;min-height:180px;border:1px solid #c5ccd6;" +
    "border-radius:var(--simology-radius,12px);background:var(--simology-bg,#fff);padding:16px;" +
    "font:16px/1.5 var(--simology-font,system-ui,sans-serif);color:var(--simology-muted,#4b5563)}" +
    "[aria-busy=true]{cursor:progress}";

  function sheet(text) {
    try {
      var s = new CSSStyleSheet();
      s.replaceSync(text);
      return s;
    } catch (e) {
      return null;
    }
  }

  // One wasm module, once per page: its download started first, then its glue run,
  // which instantiates it as it streams in.
  function load(name) {
    if (!modules[name]) {
      var module = MODULES[name];
      var options = { credentials: "same-origin", mode: "cors" };
      if (module.integrity.indexOf("sha384-") === 0) options.integrity = module.integrity;
      var response = fetch(new URL(module.wasm, base).toString(), options);
      var glue = module.glue();
      modules[name] = glue({ module_or_path: response }).then(function () { return glue; });
      modules[name].catch(function () { modules[name] = null; });
    }
    return modules[name];
  }

  // A destination's catalogue, once per page: a promise of the answer's text, or of
  // null when there is none (the wasm then asks, and shows the error itself).
  function catalog(proxy, destination) {
    var url = proxy.replace(/\/+$/, "") + "/api/catalog?" + destination.kind + "=" + encodeURIComponent(destination.code);
    if (!catalogs[url]) {
      catalogs[url] = fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .catch(function () { return null; });
    }
    return catalogs[url];
  }

  function savedOrders() {
    try {
      var list = JSON.parse(localStorage.getItem(ORDERS_KEY) || "[]");
      return Array.isArray(list) ? list.filter(function (o) { return o && typeof o === "object"; }) : [];
    } catch (e) {
      return [];
    }
  }

  // Whether the wasm's `Screen::initial` opens on an order (`saved::order_to_show`).
  function opensOnOrder(instance) {
    var saved = savedOrders();
    var ret = RETURN.exec(hash);
    if (ret) {
      var mine = saved.filter(function (o) { return o.order_ref === ret[2]; })[0];
      return ret[1] === "order" && !(mine && mine.instance !== instance);
    }
    var now = Date.now();
    return saved.some(function (o) {
      return o.instance === instance && !o.done && now - o.started_ms < DAY_MS;
    });
  }

  // `DestinationId::country`, else `DestinationId::region`, as `config_from` reads them.
  function destination(options) {
    var country = (options.country || "").trim(), region = (options.region || "").trim();
    if (/^[A-Za-z]{2}$/.test(country)) return { kind: "country", code: country.toUpperCase() };
    if (/^[A-Za-z-]{1,40}$/.test(region)) return { kind: "region", code: region.toLowerCase() };
    return null;
  }

  // `normalise_page_path` (simology-proxy-api) on `location.pathname`, which the
  // browser has percent-encoded already: a path only, its escapes upper-cased, other
  // bytes outside a path's characters escaped, runs of "/" as one, no trailing "/";
  // null when the proxy would refuse it.
  function pagePath(path) {
    var out = path.replace(/%(?![0-9A-Fa-f]{2})/g, "%25")
      .replace(/%[0-9a-f]{2}/gi, function (e) { return e.toUpperCase(); })
      .replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@\/%]/g, function (c) {
        return "%" + (c.charCodeAt(0) < 16 ? "0" : "") + c.charCodeAt(0).toString(16).toUpperCase();
      })
      .replace(/\/{2,}/g, "/");
    if (out.length > 1) out = out.replace(/\/$/, "");
    return out.charAt(0) === "/" && out.length <= 200 && !/\/\.\.?(\/|$)/.test(out) ? out : null;
  }

  // The attribution of the beacons the loader sends itself (`shown`, and a plan chosen
  // on the drawing), by `src/attribution.rs`'s rules: null without a well-formed
  // affiliate; a malformed placement left out. The wasm warns about what it leaves out.
  function attribution(options) {
    var affiliate = (options.affiliate || "").trim();
    if (!options.proxy || !/^[a-z0-9][a-z0-9-]{0,39}$/.test(affiliate)) return null;
    var placement = (options.placement || "").trim().replace(/[A-Z]/g, function (c) { return c.toLowerCase(); });
    var found = { affiliate: affiliate, page_path: pagePath(location.pathname) || undefined };
    if (/^[a-z0-9][a-z0-9._-]{0,63}$/.test(placement)) found.placement = placement;
    return found;
  }

  // One funnel event, as the wasm's `Backend::beacon` sends it: no answer is read.
  function beacon(options, found, event, destination) {
    var body = { event: event, destination: destination || undefined };
    for (var key in found) body[key] = found[key];
    try {
      navigator.sendBeacon(options.proxy.trim().replace(/\/+$/, "") + "/api/beacons", JSON.stringify(body));
    } catch (e) {
      // A browser without beacons counts nothing; the shop works the same.
    }
  }

  // The funnel's first step: the element at least half visible (or, taller than two
  // screens, filling half the screen) for one second; once per element and page view.
  function watchShown(host, options, found) {
    if (typeof IntersectionObserver === "undefined") return;
    var timer = null, steps = [];
    for (var i = 0; i <= 20; i++) steps.push(i / 20);
    var observer = new IntersectionObserver(function (entries) {
      var e = entries[entries.length - 1];
      var seen = e.isIntersecting && (e.intersectionRatio >= 0.5 ||
        (e.rootBounds !== null && e.intersectionRect.height * 2 >= e.rootBounds.height));
      if (seen && timer === null) {
        timer = setTimeout(function () {
          observer.disconnect();
          var dest = destination(options);
          beacon(options, found, "shown", dest && dest.code);
        }, 1000);
      } else if (!seen && timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
    }, { threshold: steps });
    observer.observe(host);
  }

  // The widget's language: its `locale` attribute, else the traveller's (the
  // browser's), else the page's (`<html lang>`); English when none is one of the
  // widget's.
  function language(locale) {
    var tags = [locale]
      .concat(navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language])
      .concat([document.documentElement && document.documentElement.lang]);
    for (var i = 0; i < tags.length; i++) {
      var primary = typeof tags[i] === "string" ? tags[i].trim().split(/[-_]/)[0].toLowerCase() : "";
      if (owns(WORDS, primary)) return primary;
    }
    return "en";
  }

  // The plans drawn before the wasm: the page's elements until the traveller first
  // acts on them (a button pressed, the sort changed). The wasm renders out of the
  // document as soon as it is in, and its elements replace these at that first action,
  // which is then done again on them; an action taken before the wasm is in is done
  // once it is. So elements that someone (a script, an assistive technology) holds
  // stay in the page until someone acts.
  function Drawn(root) {
    var drawn = this;
    drawn.root = root;
    drawn.pressed = null;
    drawn.sort = null;
    drawn.show = null;
    root.addEventListener("click", function (e) {
      var button = e.target.closest && e.target.closest("button");
      if (!button || !root.isConnected) return;
      if (drawn.pressed) drawn.pressed.removeAttribute("aria-busy");
      drawn.pressed = button;
      if (drawn.show) drawn.show(); else button.setAttribute("aria-busy", "true");
    });
    root.addEventListener("change", function (e) {
      if (!e.target.matches(".sort-select") || !root.isConnected) return;
      drawn.sort = e.target.value;
      if (drawn.show) drawn.show();
    });
  }

  Drawn.prototype.acted = function () {
    return this.pressed !== null || this.sort !== null;
  };

  // The plan whose button was pressed, if one was: the wasm opens on its checkout.
  Drawn.prototype.chosen = function () {
    var card = this.pressed && this.pressed.matches(".choose") && this.pressed.closest(".plan-card");
    return card ? card.getAttribute("data-sku") : null;
  };

  // The element of the wasm's rendering (`root`) that stands where `element` of the
  // drawing stood: by its plan's SKU inside a plan card, a toggle (the switch, the
  // chips of both scopes) by its place among them, else by its class.
  function counterpart(root, element) {
    if (!element) return null;
    var toggles = ".scope-button, .chip";
    if (element.matches(toggles)) {
      var drawn = element.closest(".sim-root").querySelectorAll(toggles);
      return root.querySelectorAll(toggles)[Array.prototype.indexOf.call(drawn, element)] || null;
    }
    var inCard = element.matches(".choose") ? ".choose" : element.matches("summary") ? "summary" : null;
    var card = inCard && element.closest(".plan-card");
    if (card) {
      var cards = root.querySelectorAll(".plan-card");
      for (var i = 0; i < cards.length; i++) {
        if (cards[i].getAttribute("data-sku") === card.getAttribute("data-sku")) return cards[i].querySelector(inCard);
      }
      return null;
    }
    return element.matches(".change") ? root.querySelector(".change") :
      element.matches(".sort-select") ? root.querySelector(".sort-select") : null;
  }

  // On the wasm's elements (`root`, in the page now): the sort, then the button pressed
  // (unless the wasm opened on its plan already), else the focus.
  Drawn.prototype.replay = function (root, focused, opened) {
    var drawn = this;
    // The wasm draws its plans in the microtasks after `mount`, before the next frame.
    requestAnimationFrame(function () {
      var select = root.querySelector(".sort-select");
      if (drawn.sort !== null && select && select.value !== drawn.sort) {
        select.value = drawn.sort;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
      var press = !(opened && drawn.chosen()) && counterpart(root, drawn.pressed);
      if (press) {
        press.click();
        // A toggle stays where it was (the others' buttons move on): so does the focus.
        if (focused === drawn.pressed && press.matches(".scope-button, .chip")) press.focus();
        return;
      }
      var focus = counterpart(root, focused);
      if (focus) focus.focus();
    });
  };

  // Loads the module for `screen` (or for the page's first screen when null) into a
  // fresh root in the element's shadow root.
  function start(host, options, screen) {
    var shadow = host.shadowRoot;
    var root = document.createElement("div");
    root.className = "wait";
    root.setAttribute("aria-busy", "true");
    if (host._root) shadow.replaceChild(root, host._root); else shadow.appendChild(root);
    host._root = root;
    var mountOptions = { hash: hash };
    for (var key in options) mountOptions[key] = options[key];
    // One language for the drawing, the widget and the fallback message.
    mountOptions.locale = language(options.locale);
    var name;
    if (screen) {
      mountOptions.screen = screen;
      name = screen.screen === "order" ? "status" : "picker";
    } else {
      name = opensOnOrder(options.instance) ? "status" : "picker";
    }
    // Settled: the wasm is in, or could not load; either way nothing more is drawn.
    var settled = false, drawn = null, plans = [];
    var dest = destination(options);
    if (name === "picker" && !screen && !RETURN.test(hash) && dest && options.proxy) {
      var answer = catalog(options.proxy.trim(), dest);
      mountOptions.catalog = answer;
      mountOptions.catalogFor = dest.kind + ":" + dest.code;
      answer.then(function (text) {
        if (settled || text === null) return;
        var lang = language(options.locale);
        var parsed = JSON.parse(text);
        plans = parsed.plans || [];
        var view = prerender(parsed, {
          lang: lang,
          words: WORDS[lang],
          instance: options.instance,
          theme: (options.theme || "").trim()
        });
        if (!view || settled) return;
        root.className = "";
        root.removeAttribute("aria-busy");
        root.appendChild(view);
        drawn = new Drawn(root);
      }).catch(function (e) {
        if (window.console) console.warn("simology-esim: no plans drawn before the widget:", e);
      });
    }
    mountOptions["switch"] = function (next) {
      // Called from inside the module's rendering: start once it has returned.
      setTimeout(function () { start(host, options, next); }, 0);
    };
    load(name).then(function (glue) {
      settled = true;
      var sku = drawn && drawn.chosen();
      if (sku) {
        mountOptions.screen = { screen: "picker", kind: dest.kind, code: dest.code, sku: sku };
        // The wasm opens on its checkout: the choice was made here, so counted here.
        var found = attribution(options);
        var plan = plans.filter(function (p) { return p.sku === sku; })[0];
        if (found) beacon(options, found, "plan_chosen", plan ? plan.destination : dest.code);
      }
      var view = document.createElement("div");
      glue.mount(view, mountOptions);
      var show = function () {
        if (host._root !== root) return;
        var focused = drawn && root.contains(shadow.activeElement) ? shadow.activeElement : null;
        shadow.replaceChild(view, root);
        host._root = view;
        if (drawn) drawn.replay(view, focused, sku !== null);
      };
      if (drawn && !drawn.acted()) drawn.show = show; else show();
    }).catch(function (e) {
      settled = true;
      root.className = "wait";
      root.removeAttribute("aria-busy");
      // In the widget's language, in the element's shadow root (the page's styles do
      // not reach it; the frame's own sets font and colour), announced.
      root.textContent = WORDS[language(options.locale)].shop_unavailable;
      root.setAttribute("role", "alert");
      if (window.console) console.error("simology-esim:", e);
    });
  }

  if (typeof customElements === "undefined" || customElements.get("simology-esim")) return;

  var SimologyEsim = function () {
    return Reflect.construct(HTMLElement, [], SimologyEsim);
  };
  SimologyEsim.prototype = Object.create(HTMLElement.prototype);
  SimologyEsim.prototype.constructor = SimologyEsim;
  Object.setPrototypeOf(SimologyEsim, HTMLElement);

  SimologyEsim.prototype.connectedCallback = function () {
    if (this._mounted) return;
    this._mounted = true;
    var shadow = this.shadowRoot || this.attachShadow({ mode: "open" });
    // `config_from` cleans the instance the same way; ids in the drawn plans use it.
    var instance = (this.id || "simology-" + counter++).trim().replace(/[^A-Za-z0-9_-]/g, "").slice(0, 40);
    var options = { instance: instance || "simology" };
    for (var i = 0; i < ATTRIBUTES.length; i++) {
      var value = this.getAttribute(ATTRIBUTES[i]);
      if (value !== null) options[ATTRIBUTES[i]] = value;
    }
    // The requests first; the stylesheets (parsing them takes a phone a while) before
    // anything is painted, in this same task.
    start(this, options, null);
    // A page that opens on an order (back from payment) shows the reader their order,
    // not the shop: not a new step of the funnel.
    var found = attribution(options);
    if (found && !opensOnOrder(options.instance)) watchShown(this, options, found);
    if (!sheets) sheets = [sheet(CSS), sheet(PLACEHOLDER)].filter(Boolean);
    shadow.adoptedStyleSheets = sheets;
  };

  customElements.define("simology-esim", SimologyEsim);
