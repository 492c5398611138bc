// WCAG 2.x contrast of computed colours, for checks that must not depend on axe-core
// deciding a background (axe reports "incomplete", not a violation, when it cannot).

/** Parses a computed `rgb(r, g, b)` / `rgba(r, g, b, a)` (or space-separated) colour. */
export function parseRgb(text) {
  const m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?\s*\)$/.exec(text.trim());
  if (!m) throw new Error(`not an rgb() colour: ${text}`);
  const alpha = m[4] === undefined ? 1 : m[4].endsWith('%') ? parseFloat(m[4]) / 100 : parseFloat(m[4]);
  return { r: +m[1], g: +m[2], b: +m[3], a: alpha };
}

function luminance({ r, g, b }) {
  const lin = (c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** The contrast ratio of two opaque computed colours, from 1 to 21. */
export function contrastRatio(foreground, background) {
  const [f, b] = [parseRgb(foreground), parseRgb(background)];
  if (f.a < 1 || b.a < 1) throw new Error(`translucent colours need a backdrop: ${foreground} on ${background}`);
  const [hi, lo] = [luminance(f), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * A script (for `page.evaluate` or WebDriver's execute) returning the computed text
 * colour, background colour and text of the first element matching `arguments[1]` in
 * the shadow root of `arguments[0]`, or null when there is none.
 */
export const COLOURS_SCRIPT = `
  const host = document.querySelector(arguments[0]);
  const el = host && host.shadowRoot && host.shadowRoot.querySelector(arguments[1]);
  if (!el) return null;
  const s = getComputedStyle(el);
  return { color: s.color, background: s.backgroundColor, text: el.textContent.trim(), href: el.getAttribute('href') };
`;
