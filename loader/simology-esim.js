/* simology-esim.js: defines the <simology-esim> element and loads the widget into it.
 *
 * `cargo xtask dist` builds this file by wrapping wasm-bindgen's no-modules glue and
 * this loader in one function, so that nothing leaks into the host page's globals, and
 * by filling in the wasm file's integrity hash. Partners include it with one tag:
 *   <script src="https://cdn.example/simology-esim.js" integrity="sha384-..." crossorigin="anonymous" async></script>
 */
/*__GLUE__*/
  var WASM_FILE = "simology-esim_bg.wasm";
  var WASM_INTEGRITY = "__WASM_INTEGRITY__";
  var ATTRIBUTES = ["proxy", "country", "region", "locale", "theme", "poll-interval"];
  var base = (document.currentScript && document.currentScript.src) || location.href;
  var ready = null;
  var counter = 0;

  function load() {
    if (!ready) {
      var url = new URL(WASM_FILE, base).toString();
      var options = { credentials: "omit", mode: "cors" };
      if (WASM_INTEGRITY.indexOf("sha384-") === 0) options.integrity = WASM_INTEGRITY;
      ready = wasm_bindgen({ module_or_path: fetch(url, options) });
    }
    return ready;
  }

  // The first plans, fetched while the wasm downloads and compiles: the widget's own
  // request for them then comes from the browser's HTTP cache (the proxy marks them
  // cacheable for a minute).
  function prefetch(options) {
    if (!options.proxy || !/^[A-Za-z-]{2,40}$/.test(options.country || options.region || "")) return;
    var key = options.country ? "country=" + options.country.toUpperCase() : "region=" + options.region.toLowerCase();
    try {
      fetch(options.proxy.replace(/\/+$/, "") + "/api/catalog?" + key, { credentials: "same-origin" }).catch(function () {});
    } catch (e) { /* a prefetch is only a head start */ }
  }

  // A placeholder shown until the wasm is in: the widget's frame, so the page does not jump.
  var PLACEHOLDER = ":host{display:block}.wait{box-sizing:border-box;min-height:180px;border:1px solid #c5ccd6;" +
    "border-radius:var(--simology-radius,12px);background:var(--simology-bg,#fff);padding:16px;" +
    "font:16px/1.5 var(--simology-font,system-ui,sans-serif);color:var(--simology-muted,#4b5563)}";

  function sheet(text) {
    try {
      var s = new CSSStyleSheet();
      s.replaceSync(text);
      return s;
    } catch (e) {
      return null;
    }
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
    var placeholder = sheet(PLACEHOLDER);
    if (placeholder) shadow.adoptedStyleSheets = [placeholder];
    var root = document.createElement("div");
    root.className = "wait";
    root.setAttribute("aria-busy", "true");
    shadow.appendChild(root);
    var options = { instance: this.id || "simology-" + counter++ };
    for (var i = 0; i < ATTRIBUTES.length; i++) {
      var value = this.getAttribute(ATTRIBUTES[i]);
      if (value !== null) options[ATTRIBUTES[i]] = value;
    }
    prefetch(options);
    load().then(function () {
      shadow.adoptedStyleSheets = [];
      root.className = "";
      root.removeAttribute("aria-busy");
      wasm_bindgen.mount(root, options);
    }).catch(function (e) {
      root.textContent = "The eSIM shop could not load. Please reload the page.";
      if (window.console) console.error("simology-esim:", e);
    });
  };

  customElements.define("simology-esim", SimologyEsim);
