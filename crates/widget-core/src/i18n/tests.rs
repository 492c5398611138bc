use super::*;

#[test]
fn negotiation() {
    assert_eq!(Lang::negotiate(Some("fr"), ["de-DE"]), Lang::Fr);
    assert_eq!(Lang::negotiate(Some("pt-BR"), ["de-DE", "en"]), Lang::De);
    assert_eq!(Lang::negotiate(None, ["ja", "it-IT"]), Lang::It);
    assert_eq!(Lang::negotiate(None, ["ja"]), Lang::En);
    assert_eq!(Lang::from_tag("ES_mx"), Some(Lang::Es));
}

#[test]
fn placeholders_survive_translation() {
    // Every text of every language keeps the placeholders of the English one.
    for lang in Lang::ALL {
        for ((name, en), (_, other)) in EN.all().into_iter().zip(lang.strings().all()) {
            assert_eq!(
                placeholders(en),
                placeholders(other),
                "{lang:?} {name}: {other}"
            );
        }
    }
}

/// French puts a no-break space before `:` and a narrow one before `;`, `?` and
/// `!`, and no-break spaces inside « »; the other languages put no space before
/// them. The space must be a no-break one, or a line could start with the mark.
#[test]
fn punctuation_is_spaced_as_each_language_writes() {
    const NO_BREAK: [char; 2] = ['\u{a0}', '\u{202f}'];
    for lang in Lang::ALL {
        for (name, text) in lang.strings().all() {
            let chars: Vec<char> = text.chars().collect();
            for (i, c) in chars.iter().enumerate() {
                let before = i.checked_sub(1).map(|j| chars[j]);
                let after = chars.get(i + 1).copied();
                let french = lang == Lang::Fr;
                match c {
                    ':' | ';' | '?' | '!' if french => assert!(
                        before.is_some_and(|b| NO_BREAK.contains(&b)),
                        "French {name}: no-break space before {c:?} in {text:?}"
                    ),
                    ':' | ';' | '?' | '!' => assert!(
                        before.is_none_or(|b| !b.is_whitespace()),
                        "{lang:?} {name}: space before {c:?} in {text:?}"
                    ),
                    '«' if french => assert!(
                        after.is_some_and(|a| NO_BREAK.contains(&a)),
                        "French {name}: no-break space after « in {text:?}"
                    ),
                    '»' if french => assert!(
                        before.is_some_and(|b| NO_BREAK.contains(&b)),
                        "French {name}: no-break space before » in {text:?}"
                    ),
                    _ => {}
                }
            }
        }
    }
}

#[test]
fn days_and_fill() {
    assert_eq!(FR.days(1), "1 jour");
    assert_eq!(DE.days(30), "30 Tage");
    assert_eq!(
        fill(EN.pay, &[("price", "$5.00")]),
        "Continue to payment · $5.00"
    );
    assert_eq!(IT.region("north-america"), Some("Nord America"));
    assert_eq!(EN.region("atlantis"), None);
}

/// Values for every placeholder a text may have, the counts as given.
fn filled(text: &str, n: u64) -> String {
    let n = n.to_string();
    fill(
        text,
        &[
            ("n", &n),
            ("ready", &n),
            ("total", &n),
            ("used", &n),
            ("left", &n),
            ("q", "Fiji"),
            ("price", "$5.00"),
            ("dest", "Japan"),
            ("plan", "5 GB"),
            ("data", "1 GB"),
            ("from", "8 Mar"),
            ("until", "11 Apr"),
            ("time", "now"),
            ("what", "Copy"),
        ],
    )
}

/// The category CLDR gives 0, 1, 2 and 5 in each language: only French puts 0 with 1.
fn expected(lang: Lang, n: u64) -> Category {
    match (lang, n) {
        (_, 1) | (Lang::Fr, 0) => Category::One,
        _ => Category::Other,
    }
}

#[test]
fn every_text_of_every_language_through_0_1_2_and_5() {
    for lang in Lang::ALL {
        let t = lang.strings();
        for n in [0, 1, 2, 5] {
            assert_eq!(
                cldr_category(lang, Count::whole(n)),
                expected(lang, n),
                "{lang:?} {n}"
            );
            for (name, text) in t.all() {
                let out = filled(text, n);
                assert!(!out.contains(['{', '}']), "{lang:?} {name} at {n}: {out}");
            }
            for (name, plural) in t.all_plurals() {
                let out = filled(plural.form(n), n);
                assert!(!out.contains(['{', '}']), "{lang:?} {name} at {n}: {out}");
                let form = match expected(lang, n) {
                    Category::One => plural.one,
                    Category::Other => plural.other,
                };
                assert_eq!(out, filled(form, n), "{lang:?} {name} at {n}");
            }
        }
    }
    // What the native review caught, in the forms they now take.
    assert_eq!(EN.covers_countries.n(1u64), "Covers 1 country");
    assert_eq!(EN.covers_countries.n(5u64), "Covers 5 countries");
    assert_eq!(DE.covers_countries.n(1u64), "Gilt in 1 Land");
    #[cfg(feature = "status")]
    usage_agrees();
    assert_eq!(EN.days_range(1, 3), "1–3 days");
}

#[cfg(feature = "status")]
fn usage_agrees() {
    assert_eq!(
        fill(
            FR.usage_used.form(0u64),
            &[("used", "0 Go"), ("total", "5 Go")]
        ),
        "0 Go utilisé sur 5 Go"
    );
    assert_eq!(
        fill(
            FR.usage_used.form(1u64),
            &[("used", "1 Go"), ("total", "5 Go")]
        ),
        "1 Go utilisé sur 5 Go"
    );
    assert_eq!(
        fill(
            FR.usage_used.form(2u64),
            &[("used", "2 Go"), ("total", "5 Go")]
        ),
        "2 Go utilisés sur 5 Go"
    );
    assert_eq!(
        fill(ES.usage_left.form(1u64), &[("left", "1 GB")]),
        "Queda 1 GB"
    );
    assert_eq!(
        fill(ES.usage_left.form(0u64), &[("left", "0 MB")]),
        "Quedan 0 MB"
    );
    assert_eq!(
        fill(IT.usage_left.form(1u64), &[("left", "1 GB")]),
        "1 GB rimanente"
    );
}

#[test]
fn every_form_keeps_the_english_placeholders() {
    // The `one` form may say "your eSIM" for `{n}` where `one` is exactly 1; French
    // `one` is 0 and 1 too, so it keeps the number.
    for lang in Lang::ALL {
        for ((name, en), (_, other)) in EN
            .all_plurals()
            .into_iter()
            .zip(lang.strings().all_plurals())
        {
            assert_eq!(
                placeholders(en.other),
                placeholders(other.other),
                "{lang:?} {name}"
            );
            let mut one = placeholders(other.one);
            let mut want = placeholders(en.other);
            if lang != Lang::Fr {
                want.retain(|p| p != "n" || one.contains(p));
            }
            one.sort();
            assert_eq!(want, one, "{lang:?} {name} (one)");
        }
    }
}

#[test]
fn decimals_take_each_language_category() {
    let one_and_a_half = Count {
        integer: 1,
        fraction: 5,
        digits: 1,
    };
    let half = Count {
        integer: 0,
        fraction: 5,
        digits: 1,
    };
    // CLDR: French `one` is i = 0,1 (1,5 Go utilisé); the others' is exactly 1.
    assert_eq!(cldr_category(Lang::Fr, one_and_a_half), Category::One);
    assert_eq!(cldr_category(Lang::Fr, half), Category::One);
    for lang in [Lang::En, Lang::De, Lang::Es, Lang::It] {
        assert_eq!(
            cldr_category(lang, one_and_a_half),
            Category::Other,
            "{lang:?}"
        );
        assert_eq!(cldr_category(lang, half), Category::Other, "{lang:?}");
    }
    assert!((one_and_a_half.value() - 1.5).abs() < f64::EPSILON);
}

#[cfg(feature = "status")]
#[test]
fn italian_elides_before_a_vowel() {
    assert_eq!(
        IT.valid_between("8 mar 2026", "11 apr 2026"),
        "Valida dall'8 mar 2026 all'11 apr 2026"
    );
    assert_eq!(
        IT.valid_between("1 mar 2026", "18 apr 2026"),
        "Valida dall'1 mar 2026 al 18 apr 2026"
    );
    assert_eq!(
        IT.valid_between("2 mar 2026", "80 apr"),
        "Valida dal 2 mar 2026 al 80 apr"
    );
    assert_eq!(
        EN.valid_between("8 Mar 2026", "11 Apr 2026"),
        "Valid from 8 Mar 2026 to 11 Apr 2026"
    );
}

/// Every word of every language in its register: Spanish and Italian speak to the
/// traveller as "tú" and "tu", German as "Sie"; French writes "code QR" only.
#[cfg(feature = "status")]
#[test]
fn one_register_and_one_term_per_language() {
    let words = |lang: Lang| -> Vec<(String, String)> {
        let t = lang.strings();
        let mut texts: Vec<(String, String)> = t
            .all()
            .into_iter()
            .map(|(n, s)| (n.to_owned(), s.to_owned()))
            .collect();
        for (n, p) in t.all_plurals() {
            texts.push((n.to_owned(), format!("{} {}", p.one, p.other)));
        }
        texts
    };
    let has_word =
        |text: &str, word: &str| text.split(|c: char| !c.is_alphabetic()).any(|w| w == word);
    for (name, text) in words(Lang::Es) {
        // "Su eSIM" reads as "your (usted) eSIM"; "su propio código" (each eSIM's) is fine.
        for formal in ["usted", "Usted"] {
            assert!(!has_word(&text, formal), "Spanish {name}: {text}");
        }
        assert!(
            !text.contains("Su eSIM") && !text.contains("su eSIM"),
            "Spanish {name}: {text}"
        );
        assert!(
            !text.contains("Escribe un correo"),
            "Spanish {name}: {text}"
        );
        for preterite in [
            "pudimos",
            "fue",
            "caducó",
            "salió",
            "recibimos",
            "abrimos",
            "encontramos",
        ] {
            assert!(
                !has_word(&text, preterite),
                "Spanish {name} mixes tenses: {text}"
            );
        }
    }
    for (name, text) in words(Lang::It) {
        assert!(
            !text.contains("La sua") && !text.contains("la sua") && !has_word(&text, "Lei"),
            "Italian {name}: {text}"
        );
    }
    for (name, text) in words(Lang::De) {
        for informal in ["du", "Du", "dein", "deine", "Dein", "Deine"] {
            assert!(!has_word(&text, informal), "German {name}: {text}");
        }
        assert!(
            !text.contains("Mit dem Fortfahren"),
            "German {name}: {text}"
        );
    }
    for (name, text) in words(Lang::Fr) {
        assert!(!text.contains("QR code"), "French {name}: {text}");
    }
    // Both Androids' paths and the US iPhone's label.
    for lang in Lang::ALL {
        let t = lang.strings();
        assert!(
            t.how_android.contains("Pixel") && t.how_samsung.contains("Samsung"),
            "{lang:?}"
        );
    }
    assert!(EN.how_iphone.contains("Cellular") && EN.how_iphone_manual.contains("Cellular"));
}
