// `cargo xtask country-names`: writes crates/proxy/src/country_names.rs from Node.js's Intl.DisplayNames
// (the same CLDR names browsers give), for the countries of crates/proxy/src/countries.rs.
// Usage: node country-names.js <countries.rs> <country_names.rs>
const fs = require('fs');
const src = fs.readFileSync(process.argv[2], 'utf8');
const codes = [...src.matchAll(/\("([A-Z]{2})", "/g)].map(m => m[1]);
const langs = ['en', 'fr', 'de', 'es', 'it'];
const dn = langs.map(l => new Intl.DisplayNames([l], { type: 'region' }));
let out = `//! Countries' names in the widget's languages (English, French, German, Spanish,
//! Italian, in \`Lang::ALL\`'s order), for the frame's first screen rendered here: the
//! browser names them with \`Intl.DisplayNames\`, and these are the same CLDR names,
//! written by \`cargo xtask country-names\` from Node.js's \`Intl\` (ICU ${process.versions.icu},
//! CLDR ${process.versions.cldr}). Do not edit by hand: run it again.

/// \`(alpha-2 code, [en, fr, de, es, it])\`, sorted by code; one line per country, which
/// rustfmt would spread over six (the file stays under the 1,000 lines a Rust file may have).
#[rustfmt::skip]
pub const NAMES: &[(&str, [&str; 5])] = &[
`;
for (const c of codes) {
  const names = dn.map(d => JSON.stringify(d.of(c)));
  out += `    ("${c}", [${names.join(', ')}]),\n`;
}
out += '];\n';
fs.writeFileSync(process.argv[3], out);
console.log(codes.length + ' countries');
