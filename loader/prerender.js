/* prerender.js: the picker's first screen (a destination's plans), drawn by the loader
 * from the catalogue's JSON before the wasm is in, as the same elements the wasm then
 * renders in the same frame, so the traveller sees no flash and no jump.
 *
 * Keep in step with the wasm's first render of the picker: `src/components/app.rs`
 * (the root section), `picker.rs` (the heading, the sort), `plans.rs` (the groups and
 * cards), and `crates/widget-core` (`format::price`, `format::data`, `plans::grouped`,
 * the words). `e2e/tests/prerender.test.mjs` compares the two, element by element and
 * word by word, for countries and regions in every language. The words come from
 * `simology-widget-core` at build time (`cargo xtask dist`), never from here.
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

// An exact decimal from integer minor units (`format::decimal`): no float arithmetic.
function decimal(minor, decimals, lang) {
  var digits = String(Math.abs(minor));
  while (digits.length < decimals + 1) digits = "0" + digits;
  var whole = digits.slice(0, digits.length - decimals);
  return (minor < 0 ? "-" : "") + groupDigits(whole, lang) +
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
function formatPrice(price, lang) {
  var amount = decimal(price.minor, price.decimals, lang);
  var symbol = currencySymbol(price.currency, lang);
  if (lang !== "en") return amount + NBSP + (symbol || price.currency);
  if (!symbol) return price.currency + NBSP + amount;
  return amount.charAt(0) === "-" ? "-" + symbol + amount.slice(1) : symbol + amount;
}

// `format::data`: tenths of a GB rounded down, or MB below 1 GB.
function formatData(mb, lang) {
  if (mb < 1024) return mb + NBSP + "MB";
  var tenths = Math.floor(mb * 10 / 1024);
  return (tenths % 10 ? decimal(tenths, 1, lang) : groupDigits(String(tenths / 10), lang)) + NBSP + "GB";
}

function fill(template, name, value) {
  return template.split("{" + name + "}").join(value);
}

// `plans::sort` by price, the picker's first order: sold-out plans last, then by
// currency and price, then SKU.
function byPrice(a, b) {
  function cmp(x, y) { return x < y ? -1 : x > y ? 1 : 0; }
  return cmp(!a.available, !b.available) || cmp(a.price.currency, b.price.currency) ||
    cmp(a.price.minor, b.price.minor) || cmp(a.sku, b.sku);
}

function text(v) { return typeof v === "string"; }
function whole(v) { return Number.isInteger(v) && v >= 0; }

// A plan as `simology_proxy_api::Plan` reads it (its words and numbers, at least).
function wellFormed(p) {
  return p && text(p.sku) && (p.kind === "country" || p.kind === "region") && text(p.destination) &&
    Array.isArray(p.coverage) && p.coverage.every(text) && whole(p.data_mb) && whole(p.validity_days) &&
    typeof p.available === "boolean" && p.price && Number.isInteger(p.price.minor) &&
    whole(p.price.decimals) && /^[A-Z]{3}$/.test(p.price.currency);
}

function h(tag, attributes, children) {
  var element = document.createElement(tag);
  for (var name in attributes) element.setAttribute(name, attributes[name]);
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
  function card(plan) {
    var titleId = id + "-plan-" + plan.sku;
    var main = [h("h4", { "class": "plan-data", id: titleId }, [
      formatData(plan.data_mb, lang),
      h("span", { "class": "plan-days" }, [" · " + (plan.validity_days === 1 ? t.days_one : fill(t.days_many, "n", String(plan.validity_days)))])
    ])];
    if (plan.kind === "region") {
      main.push(
        h("p", { "class": "plan-region" }, [destinationName("region", plan.destination, plan.destination)]),
        h("details", { "class": "coverage" }, [
          h("summary", {}, [fill(t.covers_countries, "n", String(plan.coverage.length))]),
          h("p", { "class": "coverage-list" }, [plan.coverage.map(function (c) { return country(c) || c; }).join(", ")])
        ])
      );
    }
    return h("li", { "class": plan.available ? "plan-card" : "plan-card sold-out", "data-sku": plan.sku, "aria-labelledby": titleId }, [
      h("div", { "class": "plan-main" }, main),
      h("div", { "class": "plan-buy" }, [
        h("p", { "class": "plan-price" }, [formatPrice(plan.price, lang)]),
        plan.available ? h("button", { type: "button", "class": "button choose" }, [t.choose]) : h("span", { "class": "badge" }, [t.sold_out])
      ])
    ]);
  }
  function group(title, plans, kind) {
    return plans.length ? h("section", { "class": "plan-group " + kind }, [
      h("h3", { "class": "group-title" }, [title]),
      h("ul", { "class": "plans" }, plans.map(card))
    ]) : null;
  }
  var dest = catalog.destination;
  // Only what the wasm reads as a catalogue is drawn; for anything else it shows its error.
  if (!dest || typeof dest.code !== "string" || typeof dest.name !== "string" ||
      !Array.isArray(catalog.plans) || !catalog.plans.length || !catalog.plans.every(wellFormed)) return null;
  var name = destinationName(dest.kind, dest.code, dest.name);
  var plans = catalog.plans.slice().sort(byPrice);
  var own = plans.filter(function (p) { return p.kind === "country"; });
  var bundles = plans.filter(function (p) { return p.kind !== "country"; });
  var isCountry = dest.kind === "country";
  var sortId = id + "-sort";
  return h("section", { "class": "sim-root theme-" + (view.theme === "dark" || view.theme === "light" ? view.theme : "auto"), lang: lang, "aria-label": t.widget_label }, [
    h("div", { "class": "picker" }, [
      h("div", { "class": "plans-view" }, [
        h("div", { "class": "plans-head" }, [
          h("h2", { "class": "plans-title", tabindex: "-1" }, [fill(t.plans_for, "dest", name)]),
          h("button", { type: "button", "class": "link-button change" }, [t.change_destination])
        ]),
        h("div", { "class": "sort" }, [
          h("label", { "for": sortId }, [t.sort_label]),
          h("select", { id: sortId, "class": "sort-select" }, [
            h("option", { value: "price" }, [t.sort_price]),
            h("option", { value: "data" }, [t.sort_data]),
            h("option", { value: "validity" }, [t.sort_validity])
          ])
        ]),
        h("div", { "class": "plan-lists" }, [
          group(isCountry ? fill(t.country_plans, "dest", name) : "", own, "country-plans"),
          group(isCountry ? fill(t.regional_plans, "dest", name) : "", bundles, "regional-plans")
        ])
      ])
    ])
  ]);
}
