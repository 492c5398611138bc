//! Tests of `attack`.

use super::*;

fn env(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let settings: Vec<(&str, String)> = extra.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    crate::proxy_env("http://127.0.0.1:9", ORIGIN, &settings)
}

#[test]
fn the_verdicts_follow_the_proxys_settings() {
    let defaults = Allowed::of(&env(&[])).expect("settings");
    assert_eq!(defaults.long_polls_per_client, 20);
    assert_eq!(defaults.checkout_per_minute, 20);
    // A burst of 5, then 20 a minute.
    assert_eq!(defaults.checkouts_in(30.0), 5 + 10);
    let tuned = Allowed::of(&env(&[
        ("PROXY_LONG_POLLS_PER_CLIENT", "7"),
        ("PROXY_CHECKOUT_PER_MINUTE", "120"),
    ]))
    .expect("settings");
    assert_eq!(tuned.long_polls_per_client, 7);
    assert_eq!(tuned.checkouts_in(30.0), 30 + 60);
    assert!(Allowed::of(&env(&[("PROXY_LONG_POLLS_PER_CLIENT", "lots")])).is_err());
}
