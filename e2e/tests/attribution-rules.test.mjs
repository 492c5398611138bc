// The loader's own attribution rules (`pagePath`, `attribution` in
// loader/simology-esim.js, for the beacons it sends before or beside the wasm) against
// the cases of `simology-proxy-api`'s tests (`normalise_page_path`,
// `normalise_placement`, `is_valid_affiliate_id`), so the loader's `shown` counts under
// the same keys as the wasm's events and the checkouts. Pure functions: no browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../lib/stack.mjs';

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

test('page paths: the loader normalises location.pathname as the proxy does', () => {
  const { pagePath } = rules('/');
  const cases = [
    ['/', '/'],
    ['/japan/tokyo/', '/japan/tokyo'],
    ['//japan///tokyo', '/japan/tokyo'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/a%20b%22%3Cx%3E', '/a%20b%22%3Cx%3E'],
    ['/100%', '/100%25'],
    ['/x%zz', '/x%25zz'],
    ["/p;v=1:@!$&'()*+,~", "/p;v=1:@!$&'()*+,~"],
    // Left raw by browsers in a path, escaped by the proxy.
    ['/a|b^c[d]', '/a%7Cb%5Ec%5Bd%5D'],
    [`/${'a'.repeat(199)}`, `/${'a'.repeat(199)}`],
    [`/${'a'.repeat(200)}`, null],
    // 198 and 199 bytes that escaping makes 200 and 201.
    [`/${'a'.repeat(196)}|`, `/${'a'.repeat(196)}%7C`],
    [`/${'a'.repeat(197)}|`, null],
    ['/a/../b', null],
    ['/./a', null],
    ['/.well-known/x', '/.well-known/x'],
  ];
  for (const [given, want] of cases) assert.equal(pagePath(given), want, given);
});

test('affiliates and placements: the loader keeps what the widget keeps', () => {
  const { attribution } = rules('/japan//tokyo/');
  const proxy = 'https://esim.partner.example';
  assert.deepEqual(attribution({ proxy, affiliate: ' wander-notes ', placement: ' Japan-Post.Sidebar_2 ' }),
    { affiliate: 'wander-notes', page_path: '/japan/tokyo', placement: 'japan-post.sidebar_2' });
  for (const bad of ['', '-x', 'Wander', 'a_b', 'a b', 'a'.repeat(41)]) {
    assert.equal(attribution({ proxy, affiliate: bad }), null, bad);
  }
  assert.equal(attribution({ affiliate: 'wander-notes' }), null, 'no proxy, no beacons');
  for (const bad of ['-top', 'a b', '<b>', 'é', '=cmd', 'a'.repeat(65), '\u212Aelvin']) {
    assert.equal(attribution({ proxy, affiliate: 'wander-notes', placement: bad }).placement, undefined, bad);
  }
});
