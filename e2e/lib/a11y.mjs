// axe-core's findings that count, for Chromium (playwright-core) and for the WebDriver
// engines alike: every rule, colour contrast included, over the whole page and the
// widget's shadow root, and (`playwrightFindings`) inside the widget's frame: axe is
// injected into the frame's document (another origin) and run there as part of the
// page, by axe's own protocol for frames (`runPartial` in each frame, `finishRun` in
// the page), so page-level rules (one main landmark, a level-one heading) are the top
// page's alone, as for any framed document, and the frame's nodes are named through
// the element (`#japan-shop >> iframe >> .install`).
//
// What counts: in the widget, every violation of any impact, and every colour-contrast
// check axe left "incomplete" (axe files text on a background of the same colour, 1:1,
// as incomplete rather than as a violation: the install button's empty blue bar passed
// axe that way); on the host page (the demo's blog, not the widget's to fix), serious
// and critical violations.
import axe from 'axe-core';

export const AXE_SOURCE = axe.source;

/** What `axe.run` or `axe.finishRun` found, as plain data (runs in the page). */
function summarise(r) {
  const summary = (kind) => (v) => ({
    kind,
    id: v.id,
    impact: v.impact,
    nodes: v.nodes.map((n) => ({ target: n.target, data: (n.any.find((c) => c.data && c.data.fgColor) || {}).data || null })),
  });
  return [
    ...r.violations.map(summary('violation')),
    ...r.incomplete.filter((v) => v.id === 'color-contrast').map(summary('incomplete')),
  ];
}

const OPTIONS = { resultTypes: ['violations', 'incomplete'] };

/** Runs in the page once axe is loaded; resolves to plain data about its findings. */
const RUN = `async () => {
  const r = await axe.run(document, ${JSON.stringify(OPTIONS)});
  return (${summarise.toString()})(r);
}`;

/**
 * axe-core's findings (as `PLAYWRIGHT_RUN`'s) over a Playwright page and the widget
 * frames in it: each frame of the page that `widget(frame)` accepts is tested inside
 * (when shown); any other frame is left out, as axe leaves a frame it cannot reach.
 * Resolves to `{ findings, frames }`, `frames` the URLs of the frames tested.
 */
export async function playwrightFindings(page, widget) {
  const partials = [];
  const frames = [];
  const partial = async (frame, context) => {
    if (!(await frame.evaluate(() => typeof window.axe === 'object'))) await frame.evaluate(AXE_SOURCE);
    // eslint-disable-next-line no-undef
    const contexts = await frame.evaluate((c) => axe.utils.getFrameContexts(c ?? undefined, {}), context);
    // eslint-disable-next-line no-undef
    partials.push(await frame.evaluate(({ c, o }) => axe.runPartial(c ?? document, o), { c: context, o: OPTIONS }));
    for (const { frameSelector, frameContext } of contexts) {
      // eslint-disable-next-line no-undef
      const element = (await frame.evaluateHandle((s) => axe.utils.shadowSelect(s), frameSelector)).asElement();
      const child = element && await element.contentFrame();
      if (child && widget(child) && await element.isVisible()) {
        frames.push(child.url());
        await partial(child, frameContext);
      } else {
        partials.push(null);
      }
    }
  };
  await partial(page.mainFrame(), null);
  await page.evaluate(`window.__axeSummarise = ${summarise.toString()}`);
  // eslint-disable-next-line no-undef
  const findings = await page.evaluate(async ({ p, o }) => window.__axeSummarise(await axe.finishRun(p, o)), { p: partials, o: OPTIONS });
  return { findings, frames };
}

/** The script for Playwright's `page.evaluate`. */
export const PLAYWRIGHT_RUN = `(${RUN})()`;

/** The script for WebDriver's execute/async. */
export const WEBDRIVER_RUN = `const done = arguments[arguments.length - 1];
  (${RUN})().then(done, (e) => done({ error: String(e) }));`;

/**
 * Findings known to fail until the widget's Rust code changes, each with its reason
 * (`{ rule, element, reason }`; none today: a region's empty group heading was the last).
 * A test that meets one sets it aside (`split`) and reports it in an expected-failure
 * (`todo`) test of its own, so it stays visible and the rest stays enforced.
 */
export const KNOWN_FAILURES = [];

/**
 * The findings that count, as short lines naming rule, impact and nodes; the widget's
 * are those under its element `widgetHost` (its shadow root, and its frame's document).
 */
export function countable(findings, widgetHost) {
  if (!Array.isArray(findings)) throw new Error(`axe failed: ${JSON.stringify(findings)}`);
  const inWidget = (n) => Array.isArray(n.target[0]) && n.target[0][0] === widgetHost;
  return findings.flatMap((f) => {
    const nodes = f.nodes.filter((n) => inWidget(n)
      || (f.kind === 'violation' && (f.impact === 'serious' || f.impact === 'critical')));
    return nodes.length === 0 ? [] : [{
      rule: f.kind === 'incomplete' ? `${f.id} (undecided: ${nodes[0].data?.messageKey ?? 'unknown'})` : f.id,
      impact: f.impact,
      nodes: nodes.slice(0, 4).map((n) => n.target.flat().join(' >> ')
        + (n.data ? ` (${n.data.fgColor} on ${n.data.bgColor}: ${n.data.contrastRatio}:1)` : '')),
    }];
  });
}

/** Splits counted findings into the known failures and the rest. */
export function split(counted) {
  const isKnown = (f) => KNOWN_FAILURES.some((k) => f.rule === k.rule
    && f.nodes.every((n) => n.split(' >> ').at(-1).split(' ')[0] === k.element));
  return { known: counted.filter(isKnown), unexpected: counted.filter((f) => !isKnown(f)) };
}
