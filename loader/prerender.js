/* prerender.js: the picker's first screen (a destination's plans), drawn by the loader
 * from the catalogue's JSON before the wasm is in, as the same elements the wasm then
 * renders in the same frame, so the traveller sees no flash and no jump.
 *
 * Keep in step with the wasm's first render of the picker:
 * - `src/components/app.rs`: the root section (theme class, `lang`, label);
 * - `picker.rs`: "change destination", then the heading;
 * - `plans.rs`: the switch between the country's own plans and the regional ones
 *   (`.scope`, only when both exist), the filter chips of both scopes (the other
 *   scope's rows `hidden`), the sort, then one list of the first scope's plans, each
 *   card with its data, validity, "best value" badge, coverage, price and price per GB;
 * - `crates/widget-core`: `plans::{Scopes, data_chips, day_chips, best_value, shown}`
 *   (with `DATA_BANDS_MB`, `DAY_BANDS` and the price sort), `format::{price, data,
 *   data_range, per_gb}` (French "Go"/"Mo"), `Strings::days` and the words;
 * - the elements `Drawn`'s `counterpart` (in `simology-esim.js`) finds again.
 * `e2e/tests/prerender.test.mjs` compares the two, element by element, word by word
 * and box by box, for countries and regions in every language, both themes. The words
 * come from `simology-widget-core` at build time (`cargo xtask dist`, `words()`), never
 * from here.
 *
 * Numbers are exact as in the wasm: amounts that could pass 2^53 in a product (the
 * best value's cross-multiplication, the price per GB) go through `BigInt`, called as a
 * function so that a browser without it only skips the drawing (the wasm then draws).
 *
 * Upstream strings only ever become text nodes or attribute values: no markup is parsed.
 */

var NBSP = "\u00a0";

// Whether a table has its own entry `key` (never one of `Object.prototype`'s: the keys
// come from upstream data and attributes).
function owns(table, key) {
  return Object.prototype.hasOwnProperty.call(table, key);
}

// Decimal mark, group separator, whether four-digit numbers are grouped
// (`format::number_style`).
var NUMBERS = {
  en: [".", ",", 1],
  fr: [",", "\u202f", 1],
  de: [",", ".", 1],
  it: [",", ".", 1],
  es: [",", ".", 0]
};

function groupDigits(digits, lang) {
  var style = NUMBERS[lang];
  if (digits.length <= 3 || (digits.length === 4 && !style[2])) return digits;
  var out = "";
  for (var i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += style[1];
    out += digits[i];
  }
  return out;
}

// An exact decimal from integer minor units, a number or a BigInt (`format::decimal`):
// no float arithmetic.
function decimal(minor, decimals, lang) {
  var negative = minor < 0;
  var digits = String(negative ? -minor : minor);
  while (digits.length < decimals + 1) digits = "0" + digits;
  var whole = digits.slice(0, digits.length - decimals);
  return (negative ? "-" : "") + groupDigits(whole, lang) +
    (decimals > 0 ? NUMBERS[lang][0] + digits.slice(digits.length - decimals) : "");
}

function currencySymbol(code, lang) {
  if (code === "EUR") return "€";
  if (code === "GBP") return "£";
  if (code === "JPY") return lang === "en" ? "¥" : "JPY";
  if (code === "USD") return lang === "fr" ? "$US" : lang === "es" ? "US$" : "$";
  return null;
}

// `format::price`: `$14.99`, `14,99 €`, `¥1,500`, `1.500 JPY`.
function formatPrice(minor, price, lang) {
  var amount = decimal(minor, price.decimals, lang);
  var symbol = currencySymbol(price.currency, lang);
  if (lang !== "en") return amount + NBSP + (symbol || price.currency);
  if (!symbol) return price.currency + NBSP + amount;
  return amount.charAt(0) === "-" ? "-" + symbol + amount.slice(1) : symbol + amount;
}

// `format::units`: French writes gigaoctets and mégaoctets.
function units(lang) {
  return lang === "fr" ? ["Go", "Mo"] : ["GB", "MB"];
}

// `format::data_parts`: the number and its unit, tenths of a GB rounded down, or MB
// below 1 GB. Exact for any safe integer (`mb * 10` might not be).
function dataParts(mb, lang) {
  if (mb < 1024) return [String(mb), units(lang)[1]];
  var tenths = Math.floor(mb / 1024) * 10 + Math.floor((mb % 1024) * 10 / 1024);
  return [tenths % 10 ? decimal(tenths, 1, lang) : groupDigits(String(tenths / 10), lang), units(lang)[0]];
}

// `format::data`: `500 MB`, `1 GB`, `1,5 Go`.
function formatData(mb, lang) {
  var parts = dataParts(mb, lang);
  return parts[0] + NBSP + parts[1];
}

// `format::data_range`: `1–3 GB`, `512 Mo–3 Go`, one amount when both ends are equal.
function dataRange(low, high, lang) {
  var a = dataParts(low, lang), b = dataParts(high, lang);
  if (a[0] === b[0] && a[1] === b[1]) return formatData(low, lang);
  return a[1] === b[1] ? a[0] + "–" + b[0] + NBSP + b[1] : a[0] + NBSP + a[1] + "–" + b[0] + NBSP + b[1];
}

var I64_MAX = "9223372036854775807";

// `format::per_gb`: the price of one GB, rounded half up in i128 (BigInt: both truncate
// toward zero), in the plan's currency; null without data or beyond an i64.
function perGb(price, mb, lang) {
  if (mb === 0) return null;
  var big = BigInt(mb);
  var minor = (BigInt(price.minor) * BigInt(2048) + big) / (big * BigInt(2));
  if (minor > BigInt(I64_MAX) || minor < -BigInt(I64_MAX) - BigInt(1)) return null;
  return formatPrice(minor, price, lang) + "/" + units(lang)[0];
}

function fill(template, name, value) {
  return template.split("{" + name + "}").join(value);
}

// `Strings::days`.
function days(t, n) {
  return n === 1 ? t.days_one : fill(t.days_many, "n", String(n));
}

function cmp(x, y) { return x < y ? -1 : x > y ? 1 : 0; }

// Rust's order of strings (their UTF-8 bytes, so code points), where `<` compares
// UTF-16 units: a surrogate (a code point above U+FFFF) goes after U+E000..U+FFFF.
function cmpText(a, b) {
  for (var i = 0; i < a.length && i < b.length; i++) {
    var x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x += x >= 0xe000 ? -0x800 : 0x2000;
      y += y >= 0xe000 ? -0x800 : 0x2000;
    }
    return cmp(x, y);
  }
  return cmp(a.length, b.length);
}

// `plans::shown(.., SortBy::Price)` with no chip pressed, the picker's first order:
// sold-out plans last, then by currency and price, then SKU (a stable sort, as
// `sorting::sort_small`).
function byPrice(a, b) {
  return cmp(!a.available, !b.available) || cmp(a.price.currency, b.price.currency) ||
    cmp(a.price.minor, b.price.minor) || cmpText(a.sku, b.sku);
}

// `plans::DATA_BANDS_MB` and `plans::DAY_BANDS`: a chip's band is the number of limits
// its value passes.
var DATA_BANDS_MB = [3 * 1024, 10 * 1024];
var DAY_BANDS = [7, 15, 30];

// `plans::chips`: per band, the lowest and highest value in it, by band; none when all
// fall in one band.
function chips(values, limits) {
  var out = [];
  values.forEach(function (value) {
    var band = 0;
    while (band < limits.length && value > limits[band]) band++;
    var chip = out.filter(function (c) { return c.band === band; })[0];
    if (chip) {
      chip.low = Math.min(chip.low, value);
      chip.high = Math.max(chip.high, value);
    } else {
      out.push({ band: band, low: value, high: value });
    }
  });
  out.sort(function (a, b) { return a.band - b.band; });
  return out.length < 2 ? [] : out;
}

// `plans::best_value`: the SKUs of, in each currency (and decimals) with two plans
// available or more, the available plan with the lowest price per GB, exactly (the
// prices cross-multiplied); a tie to more data, then to the longer validity.
function bestValue(plans) {
  var candidates = plans.filter(function (p) { return p.available && p.data_mb > 0; });
  var best = [];
  candidates.forEach(function (plan) {
    function same(o) { return o.price.currency === plan.price.currency && o.price.decimals === plan.price.decimals; }
    var i = 0;
    while (i < best.length && !same(best[i])) i++;
    if (i < best.length) {
      var b = best[i];
      var ours = BigInt(plan.price.minor) * BigInt(b.data_mb);
      var theirs = BigInt(b.price.minor) * BigInt(plan.data_mb);
      if ((cmp(ours, theirs) || cmp(b.data_mb, plan.data_mb) || cmp(b.validity_days, plan.validity_days)) < 0) best[i] = plan;
    } else if (candidates.filter(same).length >= 2) {
      best.push(plan);
    }
  });
  return best.map(function (p) { return p.sku; });
}

function text(v) { return typeof v === "string"; }
function whole(v, max) { return Number.isSafeInteger(v) && v >= 0 && v <= max; }

// A plan as `simology_proxy_api::Plan` reads it (its words and numbers, at least), with
// numbers JavaScript holds exactly.
function wellFormed(p) {
  return p && text(p.sku) && text(p.name) && text(p.terms_url) &&
    (p.kind === "country" || p.kind === "region") && text(p.destination) &&
    Array.isArray(p.coverage) && p.coverage.every(text) && whole(p.data_mb, Infinity) &&
    whole(p.validity_days, 4294967295) && typeof p.available === "boolean" && p.price &&
    Number.isSafeInteger(p.price.minor) && whole(p.price.decimals, 255) &&
    text(p.price.currency) && /^[A-Z]{3}$/.test(p.price.currency);
}

function h(tag, attributes, children) {
  var element = document.createElement(tag);
  for (var name in attributes) {
    if (attributes[name] !== null) element.setAttribute(name, attributes[name]);
  }
  for (var i = 0; i < (children || []).length; i++) {
    var child = children[i];
    if (child !== null) element.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return element;
}

/* The picker's first screen for `catalog` (the proxy's catalogue answer, parsed), or
 * null when there is nothing to draw (no plans: the wasm shows that itself).
 * `view`: `lang` (en, fr, de, es, it), `words` (that language's words), `instance` (the
 * widget's id prefix, as the wasm cleans it), `theme` (the attribute). */
function prerender(catalog, view) {
  var lang = view.lang, t = view.words, id = view.instance;
  var countryNames = null, names = {};
  try {
    countryNames = new Intl.DisplayNames([lang], { type: "region" });
  } catch (e) { /* no names: the codes stand in, as in the wasm */ }
  // `browser::country_name`, once per code (the global plans list 51 countries each).
  function country(code) {
    if (!owns(names, code)) {
      try {
        var name = countryNames && countryNames.of(code);
        names[code] = name && name !== code ? name : null;
      } catch (e) {
        names[code] = null;
      }
    }
    return names[code];
  }
  // `Ctx::destination_name`.
  function destinationName(kind, code, fallback) {
    return (kind === "country" ? country(code) : owns(t.regions, code) && t.regions[code]) || fallback;
  }
  // `plans::toggle`, as it first renders.
  function toggle(kind, label, pressed) {
    return h("button", { type: "button", "class": kind, "aria-pressed": String(pressed) }, [label]);
  }
  // `plans::chip_row`: nothing when there is no choice.
  function chipRow(label, rowId, row, shown) {
    return row.length ? h("div", { "class": "chips", role: "group", "aria-labelledby": rowId, hidden: shown ? null : "" }, [
      h("span", { "class": "chips-label", id: rowId }, [label])
    ].concat(row.map(function (chip) { return toggle("chip", chip.text, false); }))) : null;
  }
  // `PlanLists`' `rows`: a scope's data and validity chips.
  function rows(scope, plans, shown) {
    var data = chips(plans.map(function (p) { return p.data_mb; }), DATA_BANDS_MB).map(function (c) {
      return { text: dataRange(c.low, c.high, lang) };
    });
    var validity = chips(plans.map(function (p) { return p.validity_days; }), DAY_BANDS).map(function (c) {
      return { text: c.low === c.high ? days(t, c.low) : fill(t.days_many, "n", c.low + "–" + c.high) };
    });
    return [
      chipRow(t.sort_data, id + "-data-" + scope, data, shown),
      chipRow(t.sort_validity, id + "-days-" + scope, validity, shown)
    ];
  }
  // `PlanCard`.
  function card(plan, best) {
    var titleId = id + "-plan-" + plan.sku;
    var main = [
      h("h3", { "class": "plan-data", id: titleId }, [
        formatData(plan.data_mb, lang),
        h("span", { "class": "plan-days" }, [" · " + days(t, plan.validity_days)])
      ]),
      best ? h("p", { "class": "badge best-value" }, [t.best_value]) : null
    ];
    if (plan.kind === "region") {
      main.push(
        h("p", { "class": "plan-region" }, [destinationName("region", plan.destination, plan.destination)]),
        h("details", { "class": "coverage" }, [
          h("summary", {}, [fill(t.covers_countries, "n", String(plan.coverage.length))]),
          h("p", { "class": "coverage-list" }, [plan.coverage.map(function (c) { return country(c) || c; }).join(", ")])
        ])
      );
    }
    var unit = perGb(plan.price, plan.data_mb, lang);
    return h("li", {
      "class": "plan-card" + (plan.available ? "" : " sold-out") + (best ? " best" : ""),
      "data-sku": plan.sku,
      "aria-labelledby": titleId
    }, [
      h("div", { "class": "plan-main" }, main),
      h("div", { "class": "plan-buy" }, [
        h("div", { "class": "plan-cost" }, [
          h("p", { "class": "plan-price" }, [formatPrice(plan.price.minor, plan.price, lang)]),
          unit === null ? null : h("p", { "class": "plan-unit" }, [unit])
        ]),
        plan.available ? h("button", { type: "button", "class": "button choose" }, [t.choose]) : h("span", { "class": "badge" }, [t.sold_out])
      ])
    ]);
  }
  var dest = catalog.destination;
  // Only what the wasm reads as a catalogue is drawn; for anything else it shows its error.
  if (!dest || (dest.kind !== "country" && dest.kind !== "region") || !text(dest.code) || !text(dest.name) ||
      !Array.isArray(catalog.plans) || !catalog.plans.length || !catalog.plans.every(wellFormed)) return null;
  var kind = dest.kind;
  var name = destinationName(kind, dest.code, dest.name);
  // `Scopes::of`: a region's plans are all its own; a country's own apart from the
  // regional bundles. It opens on its own unless it has none (`Scopes::first`).
  var own = catalog.plans.filter(function (p) { return kind === "region" || p.kind === "country"; });
  var regional = catalog.plans.filter(function (p) { return kind !== "region" && p.kind !== "country"; });
  var first = own.length ? 0 : 1;
  var plans = [own, regional][first];
  var best = bestValue(plans);
  var sortId = id + "-sort";
  return h("section", { "class": "sim-root theme-" + (view.theme === "dark" || view.theme === "light" ? view.theme : "auto"), lang: lang, "aria-label": t.widget_label }, [
    h("div", { "class": "picker" }, [
      h("div", { "class": "plans-view" }, [
        h("button", { type: "button", "class": "link-button back change" }, [t.change_destination]),
        h("h2", { "class": "plans-title", tabindex: "-1" }, [fill(t.plans_for, "dest", name)]),
        h("div", { "class": "plan-lists" }, [
          own.length && regional.length ? h("div", { "class": "scope", role: "group" }, [
            toggle("scope-button", fill(t.scope_own, "dest", name), true),
            toggle("scope-button", t.scope_regional, false)
          ]) : null,
          h("div", { "class": "filters" }, rows(0, own, first === 0).concat(rows(1, regional, first === 1), [
            h("div", { "class": "sort" }, [
              h("label", { "for": sortId }, [t.sort_label]),
              h("select", { id: sortId, "class": "sort-select" }, [
                h("option", { value: "price" }, [t.sort_price]),
                h("option", { value: "data" }, [t.sort_data]),
                h("option", { value: "validity" }, [t.sort_validity])
              ])
            ])
          ])),
          h("ul", { "class": first === 0 && kind === "country" ? "plans country-plans" : "plans regional-plans" },
            plans.slice().sort(byPrice).map(function (p) { return card(p, best.indexOf(p.sku) >= 0); }))
        ])
      ])
    ])
  ]);
}
