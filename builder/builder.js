/* builder.js: the embed builder (builder.html), for bloggers who do not write code.
 *
 * It reads the choices, checks the affiliate id and the placement by the widget's own
 * rules (`src/attribution.rs`), shows the widget live, writes the exact two lines to
 * paste (the script tag with its integrity hash, the element with its attributes), and
 * checks the accent colour against WCAG 2.2 AA (4.5:1 for text: the accent is the
 * buttons' background under their text, and the links' colour on the widget's
 * backgrounds). No inline script or style: it runs under a strict CSP too.
 */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var script = document.querySelector('script[src$="simology-esim.js"]');
  var SCRIPT_URL = new URL("simology-esim.js", location.href).toString();
  var INTEGRITY = script ? script.getAttribute("integrity") || "" : "";
  // The widget's own colours (style/widget.css): its accent and backgrounds per theme.
  var THEMES = {
    light: { accent: "#1a56db", backgrounds: [["#ffffff", "the background"], ["#f4f6f9", "the plan cards"]] },
    dark: { accent: "#8ab4ff", backgrounds: [["#12161f", "the dark background"], ["#1c2230", "the dark plan cards"]] }
  };
  var TEXTS = ["#ffffff", "#14171f"];
  var AA = 4.5;
  var accentTouched = false;
  var timer = null;

  function channel(c) {
    c /= 255;
    return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  }

  // Relative luminance of a #rrggbb colour (WCAG 2.2).
  function luminance(hex) {
    var n = parseInt(hex.slice(1), 16);
    return 0.2126 * channel((n >> 16) & 255) + 0.7152 * channel((n >> 8) & 255) + 0.0722 * channel(n & 255);
  }

  function contrast(a, b) {
    var x = luminance(a), y = luminance(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }

  // The text colour for the accent's buttons: white or near-black, whichever reads better.
  function textOn(accent) {
    return contrast(accent, TEXTS[0]) >= contrast(accent, TEXTS[1]) ? TEXTS[0] : TEXTS[1];
  }

  function escape(text) {
    return String(text).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function proxyUrl(text) {
    try {
      var url = new URL(text.trim());
      return /^https?:$/.test(url.protocol) ? url.origin + url.pathname.replace(/\/+$/, "") : null;
    } catch (e) {
      return null;
    }
  }

  // The widget's rules, as `simology-proxy-api` has them.
  function affiliateId(text) {
    var id = text.trim();
    return id === "" || /^[a-z0-9][a-z0-9-]{0,39}$/.test(id) ? id : null;
  }

  function placementName(text) {
    var p = text.trim().replace(/[A-Z]/g, function (c) { return c.toLowerCase(); });
    return p === "" || /^[a-z0-9][a-z0-9._-]{0,63}$/.test(p) ? p : null;
  }

  function say(id, text) {
    $(id).textContent = text;
    var field = $(id.replace(/-error$/, ""));
    if (field) field.setAttribute("aria-invalid", text ? "true" : "false");
  }

  // What the choices make: the element's attributes, its colours, and what is wrong.
  function read() {
    var theme = $("theme").value;
    var defaults = THEMES[theme === "dark" ? "dark" : "light"];
    if (!accentTouched) $("accent").value = defaults.accent;
    var accent = $("accent").value.toLowerCase();
    var attributes = [];
    var proxy = proxyUrl($("proxy").value);
    attributes.push(["proxy", proxy || "https://YOUR-SHOP"]);
    var opens = $("opens").value;
    $("country").disabled = opens !== "country";
    $("region").disabled = opens !== "region";
    var country = $("country").value.trim().toUpperCase();
    say("country-error", opens === "country" && !/^[A-Z]{2}$/.test(country) ? "A country is two letters, like JP or FR." : "");
    if (opens === "country" && /^[A-Z]{2}$/.test(country)) attributes.push(["country", country]);
    if (opens === "region") attributes.push(["region", $("region").value]);
    if ($("locale").value) attributes.push(["locale", $("locale").value]);
    if (theme !== "auto") attributes.push(["theme", theme]);
    var affiliate = affiliateId($("affiliate").value);
    say("affiliate-error", affiliate === null ? "An affiliate id is lower-case letters, digits and dashes (up to 40), as your partner gave it." : "");
    var placement = placementName($("placement").value);
    say("placement-error", placement === null ? "A placement is up to 64 letters, digits, dots, underscores and dashes, starting with a letter or digit." :
      placement && !affiliate ? "A placement counts only with your affiliate id." : "");
    var credited = [];
    if (affiliate) credited.push(["affiliate", affiliate]);
    if (affiliate && placement) credited.push(["placement", placement]);
    var colours = accentTouched ? [["--simology-accent", accent], ["--simology-accent-text", textOn(accent)]] : [];
    return { proxy: proxy, attributes: attributes, credited: credited, colours: colours, accent: accent, theme: theme };
  }

  // The contrast of the accent where the widget uses it, under the theme chosen (both
  // themes when it follows the device).
  function contrastReport(choice) {
    var accent = choice.accent;
    var problems = [];
    var text = textOn(accent);
    var onButtons = contrast(accent, text);
    if (onButtons < AA) problems.push("text on the buttons: " + onButtons.toFixed(2) + ":1");
    var themes = choice.theme === "auto" ? ["light", "dark"] : [choice.theme];
    themes.forEach(function (name) {
      THEMES[name].backgrounds.forEach(function (bg) {
        var ratio = contrast(accent, bg[0]);
        if (ratio < AA) problems.push("links on " + bg[1] + ": " + ratio.toFixed(2) + ":1");
      });
    });
    var out = $("contrast");
    out.className = problems.length ? "contrast fails" : "contrast passes";
    out.textContent = problems.length
      ? "Warning: this colour fails WCAG AA contrast (4.5:1 needed) for " + problems.join("; ") + "." +
        (choice.theme === "auto" ? " A colour rarely suits both light and dark: choose a theme, or a colour for each." : "")
      : "This colour passes WCAG AA contrast (" + onButtons.toFixed(2) + ":1 with its button text).";
    return problems;
  }

  function snippet(choice) {
    var attrs = choice.attributes.concat(choice.credited).map(function (a) {
      return " " + a[0] + "=\"" + escape(a[1]) + "\"";
    }).join("");
    var style = choice.colours.length ? " style=\"" + escape(choice.colours.map(function (c) { return c[0] + ": " + c[1]; }).join("; ")) + "\"" : "";
    return "<script src=\"" + escape(SCRIPT_URL) + "\" integrity=\"" + escape(INTEGRITY) + "\" crossorigin=\"anonymous\" async></script>\n" +
      "<simology-esim" + attrs + style + "></simology-esim>";
  }

  // A fresh element each time (the widget reads its attributes once), without the
  // affiliate's attributes: the preview is not a sale or a visit of the blog.
  function preview(choice) {
    var box = $("preview");
    while (box.firstChild) box.removeChild(box.firstChild);
    if (!choice.proxy) {
      var note = document.createElement("p");
      note.className = "help";
      note.textContent = "Enter the shop's address to see the preview.";
      box.appendChild(note);
      return;
    }
    var element = document.createElement("simology-esim");
    choice.attributes.forEach(function (a) { element.setAttribute(a[0], a[1]); });
    choice.colours.forEach(function (c) { element.style.setProperty(c[0], c[1]); });
    box.appendChild(element);
  }

  function update(now) {
    clearTimeout(timer);
    var run = function () {
      var choice = read();
      contrastReport(choice);
      $("snippet").value = snippet(choice);
      $("copied").textContent = "";
      preview(choice);
    };
    if (now) run(); else timer = setTimeout(run, 400);
  }

  $("choices").addEventListener("input", function (e) {
    if (e.target.id === "accent") accentTouched = true;
    update(e.target.tagName === "SELECT" || e.target.id === "accent");
  });
  $("choices").addEventListener("change", function () { update(true); });
  $("choices").addEventListener("submit", function (e) { e.preventDefault(); });
  $("copy").addEventListener("click", function () {
    var text = $("snippet").value;
    var done = function () { $("copied").textContent = "Copied."; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () {
        $("snippet").select();
        $("copied").textContent = "Select the code and copy it (Ctrl+C or ⌘C).";
      });
    } else {
      $("snippet").select();
      $("copied").textContent = document.execCommand && document.execCommand("copy") ? "Copied." : "Select the code and copy it.";
    }
  });
  var given = new URLSearchParams(location.search).get("proxy");
  if (given) $("proxy").value = given;
  update(true);
})();
