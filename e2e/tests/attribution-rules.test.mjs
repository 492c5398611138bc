// The loader's own attribution rules (`pagePath`, `attribution` in
// loader/simology-esim.js, for the beacons it sends before or beside the wasm) against
// the case file `simology-proxy-api`'s tests read (`crates/api/attribution-cases.json`:
// `normalise_page_path`, `normalise_placement`, `is_valid_affiliate_id`), so the
// loader's `shown` counts under the same keys as the wasm's events and the checkouts.
// Pure functions: no browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The repository's root, found without the stack's module (no browser is needed here).
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const source = readFileSync(join(ROOT, 'loader', 'simology-esim.js'), 'utf8');

/** The text of `function name(...) {...}` in the loader, braces balanced. */
function extract(name) {
  const start = source.indexOf(`function ${name}(`);
  assert.ok(start >= 0, `the loader has ${name}`);
  let depth = 0;
  for (let i = source.indexOf('{', start); i < source.length; i++) {
    if (source[i] === '{') depth++;
    if (source[i] === '}' && --depth === 0) return source.slice(start, i + 1);
  }
  throw new Error(`${name} does not end`);
}

function rules(pathname) {
  // eslint-disable-next-line no-new-func
  return new Function('location', `${extract('pagePath')}\n${extract('attribution')}\nreturn { pagePath, attribution };`)({ pathname });
}

// The cases simology-proxy-api's tests read too: a change on either side fails the
// other's test.
const CASES = JSON.parse(readFileSync(join(ROOT, 'crates', 'api', 'attribution-cases.json'), 'utf8'));

test('page paths: the loader normalises location.pathname as the proxy does', () => {
  const { pagePath } = rules('/');
  const cases = CASES.page_paths.filter((c) => c.pathname !== false);
  assert.ok(cases.length > 10, 'the case file has page paths');
  for (const { given, want } of cases) assert.equal(pagePath(given), want, given);
});

test('affiliates and placements: the loader keeps what the widget keeps', () => {
  const { attribution } = rules('/japan//tokyo/');
  const proxy = 'https://esim.partner.example';
  assert.deepEqual(attribution({ proxy, affiliate: ' wander-notes ', placement: ' Japan-Post.Sidebar_2 ' }),
    { affiliate: 'wander-notes', page_path: '/japan/tokyo', placement: 'japan-post.sidebar_2' });
  assert.equal(attribution({ affiliate: 'wander-notes' }), null, 'no proxy, no beacons');
  assert.ok(CASES.affiliate_ids.length > 5 && CASES.placements.length > 5, 'the case file has them');
  for (const { given, valid } of CASES.affiliate_ids) {
    const found = attribution({ proxy, affiliate: given });
    assert.equal(found === null ? null : found.affiliate, valid ? given : null, given);
  }
  for (const { given, want } of CASES.placements) {
    assert.equal(attribution({ proxy, affiliate: 'wander-notes', placement: given }).placement, want ?? undefined, given);
  }
});
