/* simology-esim-frame.js: the few lines of the widget's frame that run before its wasm.
 *
 * The proxy's frame document (`GET /embed`) holds the widget's first screen, rendered
 * on the proxy, its configuration (`#sim-config`, JSON) and this script. It:
 * - tells the host page the frame is there, and its height whenever it changes
 *   (addressed to the host page's origin, from the frame's own `page` parameter);
 * - takes over what the document's inline script (the proxy's `tap.js`, allowed by its
 *   hash) did before this script and the wasm were in: a plan the traveller tapped
 *   (`simologyFrame.tapped`) and that plan's checkout, which the proxy rendered and the
 *   inline script showed at once; the wasm mounts on that checkout, with the email and
 *   number of travellers given there, and a Pay pressed there is pressed again (the
 *   phone's compatibility step is the wasm's: it asks for it first);
 * - loads the module the frame opens on (its wasm-bindgen glue is a script beside this
 *   one, which registers itself in `simologyModules`): the status module when the
 *   proxy found an order for this widget, or when the frame's storage says this widget
 *   has an unfinished one (`simology-esim.open:<instance>`, written by the widget);
 *   the checkout module when the frame opens on a plan's checkout (`cfg.sku`, a
 *   cancelled payment) or a plan was tapped before it; else the picker module. Its
 *   first render takes the proxy's rendering's place in one task (they are the same),
 *   and the focus and a changed sort go with it;
 * - offers the widget `simologyFrame.show(screen)`, to load the status module, or the
 *   checkout module on a plan chosen in the picker module, into this document (see
 *   `src/loader.rs`); the checkout module's download starts as soon as a plan's Choose
 *   is pressed, hovered or focused, and the proxy's rendering of that plan's checkout
 *   shows while it comes, as for a tap before any wasm;
 * - shows the proxy's "unavailable" message if the wasm cannot load.
 * No formatting, no rules: those are the widget's (Rust), on both sides.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var config = document.getElementById("sim-config");
  var root = document.getElementById("sim");
  if (!script || !config || !root) return;
  var text = config.textContent;
  var cfg = JSON.parse(text);
  var MODULES = /*__MODULES__*/;
  var base = script.src;
  var origin = "";
  try {
    origin = new URL(new URLSearchParams(location.search).get("page") || "").origin;
  } catch (e) {
    origin = "";
  }

  function post(message) {
    if (origin && origin !== "null" && window.parent !== window) {
      try {
        window.parent.postMessage(message, origin);
      } catch (e) {
        // A parent that navigated elsewhere takes nothing.
      }
    }
  }

  post({ type: "simology:hello" });
  var last = 0;
  function size() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== last) {
      last = height;
      post({ type: "simology:size", height: height });
    }
  }
  size();
  if (typeof ResizeObserver !== "undefined") new ResizeObserver(size).observe(root);

  // What the inline script kept (it defines `simologyFrame` from the document's start).
  var early = window.simologyFrame || { tapped: null };

  // A module, compiled as it downloads, and run only once its bytes are the ones this
  // frame pins (SHA-384, as Subresource Integrity). The request is the one the
  // document's preload made (a fetch with `integrity` could not take it over).
  function compiled(module) {
    var url = new URL(module.wasm, base).href;
    var response = fetch(url, { credentials: "same-origin", mode: "cors" }).then(function (r) {
      if (!r.ok) throw new Error(url + ": " + r.status);
      return r;
    });
    var bytes = response.then(function (r) { return r.clone().arrayBuffer(); });
    var wasm = response.then(function (r) { return WebAssembly.compileStreaming(r); })
      .catch(function () { return bytes.then(function (b) { return WebAssembly.compile(b); }); });
    var checked = bytes.then(function (b) { return crypto.subtle.digest("SHA-384", b); }).then(function (digest) {
      var text = "", view = new Uint8Array(digest);
      for (var i = 0; i < view.length; i++) text += String.fromCharCode(view[i]);
      if ("sha384-" + btoa(text) !== module.integrity) throw new Error(url + " is not the file this frame pins");
    });
    return Promise.all([wasm, checked]).then(function (r) { return r[0]; });
  }

  var loading = {};
  function load(name) {
    if (!loading[name]) {
      var module = MODULES[name];
      loading[name] = new Promise(function (resolve, reject) {
        var glue = window.simologyModules && window.simologyModules[name];
        if (glue) return resolve(glue);
        var tag = document.createElement("script");
        tag.src = new URL(module.glue, base).href;
        tag.integrity = module.glue_integrity;
        tag.crossOrigin = "anonymous";
        tag.onload = function () { resolve(window.simologyModules[name]); };
        tag.onerror = reject;
        document.head.appendChild(tag);
      }).then(function (glue) {
        return compiled(module).then(function (wasm) {
          return glue({ module_or_path: wasm }).then(function () { return glue; });
        });
      });
      loading[name].catch(function () { loading[name] = null; });
    }
    return loading[name];
  }

  function failed(e) {
    var message = document.getElementById("sim-failed");
    if (message && message.content) {
      root.textContent = "";
      root.appendChild(message.content.cloneNode(true));
    }
    if (window.console) console.error("simology-esim:", e);
  }

  var open = 0;
  try {
    open = Number(localStorage.getItem("simology-esim.open:" + cfg.instance)) || 0;
  } catch (e) {
    // A frame on another site may have no storage (Chromium): the proxy's cookie then
    // tells it instead (`cfg.order`).
  }
  var first = cfg.order || (open > Date.now() && !cfg.cancelled) ? "status"
    : cfg.sku || cfg.cancelled || early.tapped ? "checkout" : "picker";

  // A plan chosen in the picker module, while the checkout module comes: its screen,
  // the Choose pressed, and the picker's rendering the proxy's checkout replaced.
  var pending = null, chose = null, picker = null;
  function choice(e) {
    var button = e.target && e.target.closest && e.target.closest(".choose");
    if (button && first === "picker") {
      if (e.type === "click") chose = button;
      load("checkout");
    }
  }
  ["pointerdown", "mouseover", "focusin", "click"].forEach(function (type) {
    root.addEventListener(type, choice, true);
  });
  root.addEventListener("click", function (e) {
    // "Back" on the proxy's checkout shown meanwhile: the plans again.
    if (pending && picker && e.target.closest && e.target.closest(".back")) {
      root.replaceChild(picker, root.firstElementChild);
      pending = picker = null;
      early.paid = false;
    }
  });
  // Pay pressed on the proxy's checkout before the module that sends it is in (a plan
  // tapped before any wasm, which the inline script marks too, or chosen in the picker
  // module): pressed again once it is.
  document.addEventListener("submit", function (e) {
    if (pending || !early.taken) {
      e.preventDefault();
      early.paid = true;
    }
  });

  window.simologyFrame = early;
  early.show = function (screen) {
    if (screen.screen === "checkout") {
      var template = screen.rendered && document.getElementById("sim-checkout-" + screen.sku);
      if (template && root.firstElementChild) {
        picker = picker || root.firstElementChild;
        root.replaceChild(template.content.cloneNode(true), root.firstElementChild);
        var title = root.querySelector(".checkout-title");
        if (title) title.focus();
      } else if (chose) {
        chose.setAttribute("aria-busy", "true");
      }
      pending = screen;
      takeOver("checkout", screen, !!template);
      return;
    }
    // The status module's own stylesheet, which a picker's document does not carry.
    var module = MODULES.status;
    if (module.css && !document.getElementById("sim-status-css")) {
      var link = document.createElement("link");
      link.id = "sim-status-css";
      link.rel = "stylesheet";
      link.href = new URL(module.css, base).href;
      link.integrity = module.css_integrity;
      link.crossOrigin = "anonymous";
      document.head.appendChild(link);
    }
    load("status").then(function (m) { m.mount(root, text, screen, null, null, null); }, failed);
  };

  // The focused control, by its place among the controls, and the selects' values.
  var CONTROLS = "button, select, input, a[href], summary, [tabindex]";
  function controls() {
    return Array.prototype.slice.call(root.querySelectorAll(CONTROLS));
  }

  var ready = false;
  // Mounts the module `name` over what the frame shows: the proxy's rendering (or the
  // inline script's checkout of a tapped plan), or, for a `screen` handed over, the
  // picker module's screen or the proxy's checkout shown in its place (`shown`).
  function takeOver(name, screen, shown) {
    return load(name).then(function (m) {
      if (screen && pending !== screen) return;
      pending = picker = null;
      mountOver(m, screen, shown);
    }, failed);
  }

  function mountOver(m, screen, shown) {
    early.taken = true;
    var tapped = screen ? null : early.tapped;
    var before = controls();
    var focused = before.indexOf(document.activeElement);
    var values = Array.prototype.map.call(root.querySelectorAll("select"), function (s) { return s.value; });
    // The proxy's checkout of the tapped plan, if the inline script showed it.
    var email = root.querySelector("input[type=email]");
    var travellers = root.querySelector("select.travellers");
    if (screen && shown && travellers) screen.travellers = Number(travellers.value) || undefined;
    // A choice with nothing shown meanwhile: the checkout's heading takes the focus
    // once it is drawn (maybe after its plans load), as the widget's own moves do (the
    // frame's address marked, `browser::take_moved_mark`).
    if (screen && !shown) history.replaceState(null, "", "#moved");
    m.mount(root, text, screen || null, tapped, email && email.value ? email.value : null,
      travellers ? Number(travellers.value) || null : null);
    if (tapped === null && !screen) {
      var selects = root.querySelectorAll("select");
      for (var i = 0; i < selects.length && i < values.length; i++) {
        if (selects[i].value !== values[i]) {
          selects[i].value = values[i];
          selects[i].dispatchEvent(new Event("change", { bubbles: true }));
        }
      }
    }
    // The same control of the wasm's screen takes the focus: the plans' (the proxy's
    // rendering) or the tapped checkout's (the inline script's), the same components.
    var after = controls();
    if ((!screen || shown) && focused >= 0 && after[focused]) after[focused].focus();
    if (!ready) post({ type: "simology:ready" });
    ready = true;
    var pay = early.paid && root.querySelector("form.checkout .pay");
    early.paid = false;
    if (pay) pay.click();
  }

  load(first).then(function (m) {
    // A plan tapped while the picker module came: the checkout module takes over.
    if (first === "picker" && early.tapped) {
      first = "checkout";
      return takeOver("checkout");
    }
    mountOver(m);
  }, failed);
})();
