/* spy.js: a hostile script of our own, on the demo's /spy.html, for the end-to-end test
 * e2e/tests/spy.test.mjs. It is what an ad network, an analytics or session-replay tag
 * can be on a partner's page: loaded before the widget's script, under the page's CSP
 * (a 'self' file, not inline), it hooks everything a script of the host page can hook
 * and keeps what it saw in its own realm (the blog origin's localStorage, so that it
 * survives the trip to the payment page and back). The test reads it
 * (`window.__spy.final()`) and fails if an order reference, an activation code or an
 * email is anywhere in it.
 *
 * What it watches: fetch and XMLHttpRequest (requests and answers), localStorage and
 * sessionStorage (every call, and all of both at the end), document.cookie (reads,
 * writes, and at the end), history.pushState/replaceState and the address over time,
 * every `message` event (capture), every event dispatched (EventTarget's dispatchEvent:
 * the widget's public events with their detail), every shadow root made (attachShadow,
 * closed ones included) and the content of those and of every open one, keys and input
 * at the window (capture), the resource timings' names, a MutationObserver on the
 * document and in every shadow root, the page's globals, its whole DOM at the end, and
 * what it can reach of the widget's frame (its window's document, storage and address:
 * the browser refuses them, and that is logged too).
 */
(function () {
  "use strict";
  var KEY = "spy.log";
  var getItem = Storage.prototype.getItem;
  var setItem = Storage.prototype.setItem;
  var storageKey = Storage.prototype.key;
  var cookie = Object.getOwnPropertyDescriptor(Document.prototype, "cookie");
  var dispatch = EventTarget.prototype.dispatchEvent;
  var attachShadow = Element.prototype.attachShadow;
  var baseline = Object.getOwnPropertyNames(window);
  var roots = [];
  var log = [];
  var errors = [];
  var earlier = [];
  try {
    earlier = JSON.parse(getItem.call(localStorage, KEY) || "[]");
  } catch (e) {
    errors.push("reading the log: " + e);
  }

  function text(value) {
    if (typeof value === "string") return value;
    try {
      var json = JSON.stringify(value);
      return json === undefined ? String(value) : json;
    } catch (e) {
      return String(value);
    }
  }

  function record(kind, what) {
    log.push({ at: Date.now(), page: location.pathname, kind: kind, what: text(what) });
    try {
      setItem.call(localStorage, KEY, JSON.stringify(earlier.concat(log)));
    } catch (e) {
      errors.push("keeping the log: " + e);
    }
  }

  function describe(node) {
    if (!node) return String(node);
    if (node.nodeType === 11) return "#shadow-root(" + describe(node.host) + ")";
    if (node.nodeType !== 1) return node.nodeName;
    return node.tagName.toLowerCase() + (node.id ? "#" + node.id : "");
  }

  // Requests of this realm, and their answers.
  var fetch = window.fetch;
  window.fetch = function (input, init) {
    record("fetch", { url: String(input && input.url || input), body: init && init.body });
    return fetch.apply(this, arguments).then(function (response) {
      response.clone().text().then(function (body) { record("fetch-answer", { url: response.url, body: body }); }, function () {});
      return response;
    });
  };
  var open = XMLHttpRequest.prototype.open;
  var send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.__spyUrl = String(url);
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function (body) {
    var xhr = this;
    record("xhr", { url: xhr.__spyUrl, body: body });
    xhr.addEventListener("load", function () {
      var answer = "";
      try { answer = xhr.responseText; } catch (e) { answer = "(" + e.name + ")"; }
      record("xhr-answer", { url: xhr.__spyUrl, body: answer });
    });
    return send.apply(this, arguments);
  };

  // Storage, as any script of this origin uses it.
  ["getItem", "setItem", "removeItem"].forEach(function (name) {
    var original = Storage.prototype[name];
    Storage.prototype[name] = function (key, value) {
      var result = original.apply(this, arguments);
      if (key !== KEY) record("storage-" + name, { key: key, value: name === "getItem" ? result : value });
      return result;
    };
  });

  // Cookies: every read and write.
  Object.defineProperty(document, "cookie", {
    configurable: true,
    get: function () {
      var value = cookie.get.call(document);
      record("cookie-read", value);
      return value;
    },
    set: function (value) {
      record("cookie-write", value);
      cookie.set.call(document, value);
    }
  });

  // The address: what the history is told, and the address over time.
  ["pushState", "replaceState"].forEach(function (name) {
    var original = history[name];
    history[name] = function (state, title, url) {
      record("history-" + name, { state: state, url: url });
      return original.apply(this, arguments);
    };
  });
  var href = "";
  function address(why) {
    if (location.href !== href) {
      href = location.href;
      record("address", { why: why, href: href, hash: location.hash });
    }
  }
  address("load");
  window.addEventListener("hashchange", function () { address("hashchange"); }, true);
  window.addEventListener("popstate", function () { address("popstate"); }, true);
  setInterval(function () { address("poll"); }, 50);

  // Messages to this window, from anyone, and what this realm posts.
  window.addEventListener("message", function (e) {
    record("message", { origin: e.origin, data: e.data, fromFrame: e.source !== window });
  }, true);
  var postMessage = window.postMessage;
  window.postMessage = function (data, target) {
    record("post-message", { data: data, target: target });
    return postMessage.apply(this, arguments);
  };

  // Every event dispatched by a script (the widget's public events among them).
  EventTarget.prototype.dispatchEvent = function (event) {
    record("event", { type: event.type, target: describe(this), detail: event.detail });
    return dispatch.apply(this, arguments);
  };
  ["simology:shown", "simology:destination-chosen", "simology:plan-chosen", "simology:checkout-started",
    "simology:paid", "simology:ready", "simology:error"].forEach(function (type) {
    document.addEventListener(type, function (e) {
      record("listened", { type: e.type, detail: e.detail });
    }, true);
  });

  // Keys and input anywhere this realm can hear them.
  ["keydown", "keypress", "keyup", "beforeinput", "input", "change", "paste", "copy"].forEach(function (type) {
    window.addEventListener(type, function (e) {
      var target = e.composedPath ? e.composedPath()[0] : e.target;
      record("key", { type: type, key: e.key, data: e.data, target: describe(target), value: target && target.value });
    }, true);
  });

  // Everything the page loads.
  try {
    new PerformanceObserver(function (list) {
      list.getEntries().forEach(function (entry) { record("resource", entry.name); });
    }).observe({ type: "resource", buffered: true });
  } catch (e) {
    errors.push("performance: " + e);
  }

  // The DOM as it changes, shadow roots included (session replay).
  function observe(target) {
    new MutationObserver(function (mutations) {
      mutations.forEach(function (m) {
        var entry = { type: m.type, target: describe(m.target), old: m.oldValue };
        if (m.type === "attributes") entry.value = m.target.getAttribute(m.attributeName);
        if (m.type === "characterData") entry.value = m.target.data;
        entry.added = Array.prototype.map.call(m.addedNodes, function (n) {
          return n.nodeType === 1 ? n.outerHTML : n.textContent;
        });
        record("mutation", entry);
        Array.prototype.forEach.call(m.addedNodes, peek);
      });
    }).observe(target, { childList: true, subtree: true, attributes: true, characterData: true,
      attributeOldValue: true, characterDataOldValue: true });
  }
  observe(document);
  Element.prototype.attachShadow = function (init) {
    var root = attachShadow.apply(this, arguments);
    roots.push(root);
    record("shadow-root", { host: describe(this), mode: init && init.mode });
    observe(root);
    return root;
  };

  // What a script can reach of a frame: its address, its window's document, storage
  // and address (the browser refuses those of another origin: the refusal is logged).
  var frames = [];
  function peek(node) {
    if (!node || node.nodeType !== 1) return;
    var found = node.tagName === "IFRAME" ? [node] : Array.prototype.slice.call(node.querySelectorAll ? node.querySelectorAll("iframe") : []);
    found.forEach(function (frame) {
      if (frames.indexOf(frame) < 0) frames.push(frame);
      reach(frame);
      frame.addEventListener("load", function () { reach(frame); });
    });
  }
  function attempt(what, f) {
    try {
      record("frame-" + what, f());
    } catch (e) {
      record("frame-" + what, "refused: " + e.name);
    }
  }
  function reach(frame) {
    attempt("src", function () { return frame.src; });
    attempt("content-document", function () {
      return frame.contentDocument ? frame.contentDocument.documentElement.outerHTML : "null (another origin's document)";
    });
    attempt("document", function () { return frame.contentWindow.document.documentElement.outerHTML; });
    attempt("storage", function () { return frame.contentWindow.localStorage.getItem("simology-esim.orders"); });
    attempt("address", function () { return frame.contentWindow.location.href; });
  }

  function allShadowRoots() {
    var found = roots.slice();
    (function walk(node) {
      var all = node.querySelectorAll("*");
      for (var i = 0; i < all.length; i++) {
        if (all[i].shadowRoot) {
          if (found.indexOf(all[i].shadowRoot) < 0) found.push(all[i].shadowRoot);
          walk(all[i].shadowRoot);
        }
      }
    })(document);
    return found;
  }

  function storageDump(storage) {
    var out = {};
    for (var i = 0; i < storage.length; i++) {
      var k = storageKey.call(storage, i);
      if (k !== KEY) out[k] = getItem.call(storage, k);
    }
    return out;
  }

  // Everything once more, as a tag reads it before it sends its batch.
  function sweep() {
    record("local-storage", storageDump(localStorage));
    record("session-storage", storageDump(sessionStorage));
    record("cookies", cookie.get.call(document));
    address("sweep");
    allShadowRoots().forEach(function (root) {
      record("shadow-content", { host: describe(root.host), html: root.innerHTML, text: root.textContent });
    });
    frames.forEach(reach);
    performance.getEntriesByType("resource").forEach(function (entry) { record("resource", entry.name); });
    Object.getOwnPropertyNames(window).forEach(function (name) {
      if (baseline.indexOf(name) >= 0 || name === "__spy") return;
      var value;
      try { value = text(window[name]); } catch (e) { value = "(" + e.name + ")"; }
      record("global", { name: name, value: value });
    });
    record("page", { html: document.documentElement.outerHTML, text: document.body ? document.body.innerText : "" });
  }
  window.addEventListener("pagehide", sweep, true);

  window.__spy = {
    errors: errors,
    /** Everything seen on this page and the pages before it, after a last sweep. */
    final: function () {
      sweep();
      return { entries: earlier.concat(log), errors: errors.slice() };
    }
  };
})();
