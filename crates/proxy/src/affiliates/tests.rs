//! Tests of `affiliates`.

use super::*;

thread_local! {
    /// Tokens hashed on this thread (see `token_digest`).
    pub(super) static DIGESTS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

const TOKEN_A: &str = "a-report-token-of-32-characters!";

#[test]
fn a_token_costs_one_hash_whether_or_not_the_affiliate_exists() {
    let a = Affiliates::parse(&file("")).expect("valid");
    let hashes = |id: &str, token: &str| {
        let before = DIGESTS.with(std::cell::Cell::get);
        let found = a.authenticate(id, token).is_some();
        (found, DIGESTS.with(std::cell::Cell::get) - before)
    };
    assert_eq!(hashes("wander-notes", TOKEN_A), (true, 1));
    assert_eq!(
        hashes("wander-notes", "a-wrong-token-of-32-characters!!"),
        (false, 1)
    );
    assert_eq!(
        hashes("nobody", TOKEN_A),
        (false, 1),
        "an unknown id is hashed too"
    );
    assert_eq!(hashes("nobody", ""), (false, 1));
}

fn file(extra: &str) -> String {
    format!(
        r#"
        owner = "a key of the partner's own, ignored"
        [[affiliate]]
        id = "wander-notes"
        name = "Wander Notes"
        origins = ["https://wandernotes.example", "https://www.wandernotes.example/"]
        commission_bps = 1200
        token = "{TOKEN_A}"
        notes = "also ignored"
        {extra}
        "#
    )
}

#[test]
fn a_file_with_a_token_and_a_token_digest() {
    let digest = hex::encode(Sha256::digest(b"the other blog's token, long enough"));
    let text = file(&format!(
        "[[affiliate]]\nid = \"other-blog\"\nname = \"Other\"\norigins = [\"http://127.0.0.1:9000\"]\ncommission_bps = 0\ntoken_sha256 = \"{digest}\"\n"
    ));
    let a = Affiliates::parse(&text).expect("valid");
    assert_eq!(a.len(), 2);
    let ids: Vec<&str> = a.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(ids, ["other-blog", "wander-notes"], "by id");
    let wander = a.get("wander-notes").expect("listed");
    assert!(wander.has_origin("https://www.wandernotes.example"));
    assert!(!wander.has_origin("https://evil.example"));
    assert!(wander.token_matches(TOKEN_A));
    assert!(!wander.token_matches("a-report-token-of-32-characters?"));
    let other = a.get("other-blog").expect("listed");
    assert!(other.token_matches("the other blog's token, long enough"));
    assert!(!other.token_matches(TOKEN_A));
    assert!(!format!("{a:?}").contains(TOKEN_A), "no token in Debug");
    assert!(a.get("nobody").is_none());
    assert!(a.authenticate("wander-notes", TOKEN_A).is_some());
    assert!(
        a.authenticate("other-blog", TOKEN_A).is_none(),
        "another's token"
    );
    assert!(a.authenticate("nobody", TOKEN_A).is_none());
    assert!(a.authenticate("wander-notes", "").is_none());
}

#[test]
fn refusals_name_the_affiliate_and_key_and_never_a_token() {
    let entry = |id: &str, key_lines: &str| {
        format!("[[affiliate]]\nid = \"{id}\"\nname = \"X\"\n{key_lines}\n")
    };
    let good_rest =
        "origins = [\"https://x.example\"]\ncommission_bps = 10\ntoken = \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"";
    let cases = [
        (entry("Bad_Id", good_rest), "id"),
        (file("") + &entry("wander-notes", good_rest), "listed twice"),
        (
            entry("x", "origins = []\ncommission_bps = 1\ntoken = \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\""),
            "origins",
        ),
        (
            entry("x", "origins = [\"wandernotes.example\"]\ncommission_bps = 1\ntoken = \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\""),
            "origin",
        ),
        (
            entry("x", "origins = [\"https://x.example\"]\ncommission_bps = 10001\ntoken = \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\""),
            "commission_bps",
        ),
        (
            entry("x", "origins = [\"https://x.example\"]\ncommission_bps = 1\ntoken = \"short-secret\""),
            "at least 32",
        ),
        (
            entry("x", "origins = [\"https://x.example\"]\ncommission_bps = 1\ntoken_sha256 = \"zz\""),
            "token_sha256",
        ),
        (
            entry("x", "origins = [\"https://x.example\"]\ncommission_bps = 1"),
            "exactly one",
        ),
        (
            file("") + &entry("y", &format!("origins = [\"https://y.example\"]\ncommission_bps = 1\ntoken = \"{TOKEN_A}\"")),
            "another affiliate's",
        ),
        (
            "[[affiliate]]\nid = \"x\"\ntoken = \"short-secret-in-a-broken-line\nname=1".to_owned(),
            "",
        ),
        (
            entry(
                "x",
                "origins = [\"https://x.example\"]\ncommission_bps = 1\ntoken = 8765432187",
            ),
            "token must be a string",
        ),
        (
            entry(
                "x",
                "origins = [\"https://x.example\"]\ncommission_bps = 1\ntoken = 87654321876543218765",
            ),
            "line 6",
        ),
        (
            entry(
                "x",
                "origins = [\"https://x.example\"]\ncommission_bps = 1\ntoken = \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\npostback_url = \"https://n.example/?c={clickid}\"",
            ),
            "postback_url has an unknown macro",
        ),
    ];
    for (text, says) in cases {
        let err = Affiliates::parse(&text).expect_err(says);
        let msg = format!("{err:#}");
        assert!(msg.contains(says), "{says}: {msg}");
        for secret in ["short-secret", TOKEN_A, "xxxxxxxx", "8765432187"] {
            assert!(!msg.contains(secret), "{msg}");
        }
    }
}

#[test]
fn values_are_masked_in_messages_and_keys_kept() {
    for (given, want) in [
        ("missing field `name`", "missing field `name`"),
        (
            "invalid type: integer `87654321876543218765` as i128, expected any valid TOML value",
            "invalid type: integer `…` as i128, expected any valid TOML value",
        ),
        (
            r#"invalid type: string "a \"secret\" token", expected u32"#,
            r#"invalid type: string "…", expected u32"#,
        ),
        (
            "invalid type: boolean `true`, floating point `1.5`",
            "invalid type: boolean `…`, floating point `…`",
        ),
        ("unterminated: string \"abc", "unterminated: string \"…"),
    ] {
        assert_eq!(without_values(given), want);
    }
}

#[test]
fn the_registry_allows_listed_and_affiliate_origins_and_keeps_them_on_a_bad_reload() {
    let dir = std::env::temp_dir().join(format!("affiliates-{:x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("affiliates.toml");
    std::fs::write(&path, file("")).expect("write");
    let listed = vec![Origin::parse("https://shop.example").expect("origin")];
    let registry = Registry::load(listed, Some(path.clone())).expect("loads");
    for o in [
        "https://shop.example",
        "https://wandernotes.example",
        "https://www.wandernotes.example",
    ] {
        assert!(registry.origin_allowed(o), "{o}");
    }
    assert!(!registry.origin_allowed("https://other.example"));
    assert_eq!(registry.allowed_origins().len(), 3);

    std::fs::write(&path, "[[affiliate]]\nid = \"broken\"\n").expect("write");
    assert!(registry.reload().is_err());
    assert!(registry.affiliates().get("wander-notes").is_some(), "kept");

    let other = "[[affiliate]]\nid = \"other\"\nname = \"Other\"\norigins = [\"https://other.example\"]\ncommission_bps = 5\ntoken = \"another-token-of-thirty-two-chars\"\n";
    std::fs::write(&path, other).expect("write");
    assert_eq!(registry.reload().expect("reloads"), 1);
    assert!(registry.origin_allowed("https://other.example"));
    assert!(!registry.origin_allowed("https://wandernotes.example"));
    assert!(registry.affiliates().get("wander-notes").is_none());
    let _ = std::fs::remove_dir_all(&dir);

    let none = Registry::load(Vec::new(), None).expect("no file");
    assert!(none.affiliates().is_empty());
    assert!(none.reload().is_err(), "nothing to read");
}

fn checkout(attribution: Option<&str>, page: Option<&str>) -> CheckoutRequest {
    CheckoutRequest {
        sku: "US-1GB-7D".into(),
        quantity: 1,
        email: "alex@example.com".into(),
        locale: "en".into(),
        intent_id: "intent-0123456789abcdef".into(),
        return_url: "https://wandernotes.example/japan".into(),
        instance: None,
        attribution: attribution.map(str::to_owned),
        page_path: page.map(str::to_owned),
        click_id: None,
    }
}

fn signed(affiliate: &str, placement: Option<&str>) -> Signed {
    Signed {
        affiliate: affiliate.into(),
        placement: placement.map(str::to_owned),
    }
}

#[test]
fn only_the_proxys_own_recent_signature_attributes_a_sale() {
    let affiliates = Affiliates::parse(&file("")).expect("valid");
    let today = 20_000;
    let token = signed("wander-notes", Some("sidebar")).token(today - 1);
    let got = Attribution::of_checkout(
        &affiliates,
        &checkout(Some(&token), Some("/japan/?x=1")),
        today,
    );
    assert_eq!(
        got,
        Ok(Some(Attribution {
            affiliate: "wander-notes".into(),
            placement: Some("sidebar".into()),
            page_path: Some("/japan".into()),
            click_id: None,
        }))
    );
    // The network's click id goes with the signed attribution.
    let clicked = CheckoutRequest {
        click_id: Some("IR_a1.b2~c3-d".into()),
        ..checkout(Some(&token), None)
    };
    let got = Attribution::of_checkout(&affiliates, &clicked, today).expect("well-formed");
    assert_eq!(
        got.and_then(|a| a.click_id).as_deref(),
        Some("IR_a1.b2~c3-d")
    );
    // A malformed one is refused, with an attribution or without.
    for bad in ["a b", "a&b=1", &"x".repeat(201), "<script>"] {
        for attribution in [Some(token.as_str()), None] {
            let request = CheckoutRequest {
                click_id: Some(bad.to_owned()),
                ..checkout(attribution, None)
            };
            let err = Attribution::of_checkout(&affiliates, &request, today).expect_err(bad);
            assert_eq!(err.field, Field::ClickId, "{bad}");
        }
    }
    // No attribution, or one the proxy did not sign: the sale goes on, credited to
    // nobody, and its click id goes to no network.
    let unsigned = CheckoutRequest {
        click_id: Some("IR_a1".into()),
        ..checkout(None, None)
    };
    assert_eq!(
        Attribution::of_checkout(&affiliates, &unsigned, today),
        Ok(None)
    );
    let forged = [
        // Another placement under the same MAC.
        token.replace(":sidebar:", ":header:"),
        // Another affiliate's name.
        token.replace("wander-notes", "nomad-bytes"),
        // Signed too long ago, or in the future.
        signed("wander-notes", None).token(today - SIGNED_FOR_DAYS - 1),
        signed("wander-notes", None).token(today + 1),
        // An affiliate the file does not list, signed or not.
        signed("nobody", None).token(today),
        "wander-notes".into(),
        format!("{token}:extra"),
        String::new(),
    ];
    for bad in &forged {
        assert_eq!(
            Attribution::of_checkout(
                &affiliates,
                &CheckoutRequest {
                    click_id: Some("IR_a1".into()),
                    ..checkout(Some(bad), None)
                },
                today
            ),
            Ok(None),
            "{bad}"
        );
        let beacon = Beacon {
            attribution: bad.clone(),
            event: FunnelEvent::Shown,
            page_path: None,
            destination: None,
        };
        assert!(
            Counted::of_beacon(&affiliates, &beacon, today).is_err(),
            "{bad}"
        );
    }
    let beacon = Beacon {
        attribution: token,
        event: FunnelEvent::PlanChosen,
        page_path: Some("/japan//tokyo/".into()),
        destination: Some("jp".into()),
    };
    let counted = Counted::of_beacon(&affiliates, &beacon, today).expect("counted");
    assert_eq!(counted.attribution.affiliate, "wander-notes");
    assert_eq!(
        counted.attribution.page_path.as_deref(),
        Some("/japan/tokyo")
    );
    assert_eq!(counted.destination.as_deref(), Some("JP"));
}

#[test]
fn beacon_destinations_are_countries_or_region_slugs() {
    for (given, want) in [
        (Some("jp"), Some("JP")),
        (Some("Western-Europe"), Some("western-europe")),
        (None, None),
        (Some(""), None),
    ] {
        assert_eq!(
            destination(given).expect("valid").as_deref(),
            want,
            "{given:?}"
        );
    }
    for bad in ["ZZ", "J", "<b>", "europe!", &"a".repeat(41)] {
        assert!(destination(Some(bad)).is_err(), "{bad}");
    }
}
