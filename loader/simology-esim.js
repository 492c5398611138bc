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
  var ATTRIBUTES = ["proxy", "country", "region", "locale", "theme", "poll-interval"];
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

  // `Lang::negotiate`: the attribute, else the browser's first language the widget
  // speaks, else English.
  function language(locale) {
    var tags = [locale].concat(navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]);
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
  // drawing stood: by its plan's SKU inside a plan card, else by its class.
  function counterpart(root, element) {
    if (!element) return null;
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
    var name;
    if (screen) {
      mountOptions.screen = screen;
      name = screen.screen === "order" ? "status" : "picker";
    } else {
      name = opensOnOrder(options.instance) ? "status" : "picker";
    }
    // Settled: the wasm is in, or could not load; either way nothing more is drawn.
    var settled = false, drawn = null;
    var dest = destination(options);
    if (name === "picker" && !screen && !RETURN.test(hash) && dest && options.proxy) {
      var answer = catalog(options.proxy.trim(), dest);
      mountOptions.catalog = answer;
      mountOptions.catalogFor = dest.kind + ":" + dest.code;
      answer.then(function (text) {
        if (settled || text === null) return;
        var lang = language(options.locale);
        var view = prerender(JSON.parse(text), {
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
      if (sku) mountOptions.screen = { screen: "picker", kind: dest.kind, code: dest.code, sku: sku };
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
      root.textContent = "The eSIM shop could not load. Please reload the page.";
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
    if (!sheets) sheets = [sheet(CSS), sheet(PLACEHOLDER)].filter(Boolean);
    shadow.adoptedStyleSheets = sheets;
  };

  customElements.define("simology-esim", SimologyEsim);
