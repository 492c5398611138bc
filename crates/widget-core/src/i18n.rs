//! The widget's words in English, French, German, Spanish and Italian.
//!
//! Each language is one [`Strings`] value: a missing translation is a compile error,
//! not an English word in a French page. Placeholders are `{name}`, filled by [`fill`].

/// A language the widget speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    En,
    /// French.
    Fr,
    /// German.
    De,
    /// Spanish.
    Es,
    /// Italian.
    It,
}

impl Lang {
    /// Every language.
    pub const ALL: [Lang; 5] = [Lang::En, Lang::Fr, Lang::De, Lang::Es, Lang::It];

    /// The language of a BCP 47 tag (`fr-CA` is French); `None` for others.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            "de" => Some(Lang::De),
            "es" => Some(Lang::Es),
            "it" => Some(Lang::It),
            _ => None,
        }
    }

    /// The first supported language among an attribute and the browser's preferences,
    /// else English.
    pub fn negotiate<'a>(
        attribute: Option<&str>,
        browser: impl IntoIterator<Item = &'a str>,
    ) -> Lang {
        attribute
            .and_then(Lang::from_tag)
            .or_else(|| browser.into_iter().find_map(Lang::from_tag))
            .unwrap_or(Lang::En)
    }

    /// The tag, for `lang` attributes and `Intl`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::De => "de",
            Lang::Es => "es",
            Lang::It => "it",
        }
    }

    /// The words.
    pub fn strings(self) -> &'static Strings {
        match self {
            Lang::En => &EN,
            Lang::Fr => &FR,
            Lang::De => &DE,
            Lang::Es => &ES,
            Lang::It => &IT,
        }
    }
}

/// Fills `{name}` placeholders.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// A number as plural rules read it: its integer digits and the fraction digits it is
/// written with (`1,5 Go` is 1 and 5 in one digit; `2` has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    /// The integer part (CLDR's `i`).
    pub integer: u64,
    /// The fraction digits as written, as an integer (CLDR's `f`).
    pub fraction: u32,
    /// How many fraction digits are written (CLDR's `v`).
    pub digits: u8,
}

impl Count {
    /// A whole number.
    pub fn whole(n: u64) -> Count {
        Count {
            integer: n,
            fraction: 0,
            digits: 0,
        }
    }

    /// The number as a JavaScript number takes it (`Intl.PluralRules.select`), with its
    /// fraction digits given as `minimumFractionDigits`.
    pub fn value(self) -> f64 {
        // Counts the widget shows are far below 2^53: the casts are exact.
        #[allow(clippy::cast_precision_loss)]
        let value =
            self.integer as f64 + f64::from(self.fraction) / 10f64.powi(i32::from(self.digits));
        value
    }
}

impl From<u64> for Count {
    fn from(n: u64) -> Count {
        Count::whole(n)
    }
}

impl From<u32> for Count {
    fn from(n: u32) -> Count {
        Count::whole(u64::from(n))
    }
}

impl From<usize> for Count {
    fn from(n: usize) -> Count {
        Count::whole(u64::try_from(n).unwrap_or(u64::MAX))
    }
}

/// The CLDR plural categories these five languages use for the widget's counts. French,
/// Spanish and Italian also have `many`, for exact millions ("1 million de pays"); no
/// count the widget shows comes near, and the browser's `many` takes the `other` form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// `one`: English, German and Italian 1; Spanish 1; French 0, 1 and 0.5 or 1.5.
    One,
    /// Everything else.
    Other,
}

/// Where the category of a count comes from: in the browser, `Intl.PluralRules`
/// (installed by the widget with [`use_plural_rules`]); `None` where it has no answer.
type Rules = fn(Lang, Count) -> Option<Category>;

static RULES: std::sync::OnceLock<Rules> = std::sync::OnceLock::new();

/// Takes plural categories from `rules` (the browser's `Intl.PluralRules`) from now on;
/// [`cldr_category`] answers where it does not, and on the proxy, which renders the
/// first screen with the same components.
pub fn use_plural_rules(rules: Rules) {
    let _ = RULES.set(rules);
}

/// The CLDR cardinal rules of the five languages (CLDR 45), for where the browser's are
/// not at hand: English, German and Italian `one` is `i = 1 and v = 0`, Spanish `n = 1`,
/// French `i = 0,1`.
pub fn cldr_category(lang: Lang, n: Count) -> Category {
    let one = match lang {
        Lang::En | Lang::De | Lang::It => n.integer == 1 && n.digits == 0,
        Lang::Es => n.integer == 1 && n.fraction == 0,
        Lang::Fr => n.integer <= 1,
    };
    if one {
        Category::One
    } else {
        Category::Other
    }
}

/// The category of a count in a language: the browser's, else CLDR's.
pub fn category(lang: Lang, n: Count) -> Category {
    RULES
        .get()
        .and_then(|rules| rules(lang, n))
        .unwrap_or_else(|| cldr_category(lang, n))
}

/// Italian elides "dal" and "al" before a number said with a vowel: the days 1
/// ("uno"), 8 ("otto") and 11 ("undici") of a date: "dall'8 mar", "all'11 apr".
#[cfg(feature = "status")]
fn elide_italian(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let word_start = out.is_empty() || out.ends_with(' ');
        let prep = ["dal ", "al "]
            .into_iter()
            .find(|p| word_start && rest.starts_with(p));
        if let Some(prep) = prep {
            let after = &rest[prep.len()..];
            let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
            if matches!(digits.as_str(), "1" | "8" | "11") {
                out.push_str(prep.trim_end());
                out.push_str("l'");
                rest = after;
                continue;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

/// A count-bearing text: one form per plural category, each with its placeholders.
#[derive(Debug)]
pub struct Plural {
    /// The language, whose rules pick the form.
    pub lang: Lang,
    /// The `one` form.
    pub one: &'static str,
    /// The `other` form.
    pub other: &'static str,
}

impl Plural {
    /// The form for a count.
    pub fn form(&self, n: impl Into<Count>) -> &'static str {
        match category(self.lang, n.into()) {
            Category::One => self.one,
            Category::Other => self.other,
        }
    }

    /// The form for a whole count, with `{n}` filled.
    pub fn n(&self, n: impl Into<u64>) -> String {
        let n = n.into();
        fill(self.form(n), &[("n", &n.to_string())])
    }
}

/// Defines [`Strings`] with one `&'static str` field per text and one [`Plural`] per
/// count-bearing text, and (for the tests) lists of every field, so that checks over all
/// texts cannot miss a new one. The texts in brackets are the order status screens' only
/// (the `status` feature): the widget's picker module does not carry them.
macro_rules! strings {
    (
        $($name:ident,)* [$($status:ident,)*] $($more:ident,)*
        ; plurals: $($plural:ident,)* [$($status_plural:ident,)*]
    ) => {
        /// Every text the widget shows.
        #[derive(Debug)]
        pub struct Strings {
            $(pub $name: &'static str,)*
            $(#[cfg(feature = "status")] pub $status: &'static str,)*
            $(pub $more: &'static str,)*
            $(pub $plural: Plural,)*
            $(#[cfg(feature = "status")] pub $status_plural: Plural,)*
        }

        impl Strings {
            /// Every text, with its field's name.
            #[cfg(test)]
            fn all(&self) -> Vec<(&'static str, &'static str)> {
                let mut all = vec![$((stringify!($name), self.$name)),*];
                #[cfg(feature = "status")]
                all.extend([$((stringify!($status), self.$status)),*]);
                all.extend([$((stringify!($more), self.$more)),*]);
                all
            }

            /// Every count-bearing text, with its field's name.
            #[cfg(test)]
            fn all_plurals(&self) -> Vec<(&'static str, &Plural)> {
                #[allow(unused_mut)]
                let mut all = vec![$((stringify!($plural), &self.$plural)),*];
                #[cfg(feature = "status")]
                all.extend([$((stringify!($status_plural), &self.$status_plural)),*]);
                all
            }
        }
    };
}

/// One language's [`Strings`], written as [`strings!`] lists the texts: the bracketed
/// ones only with the `status` feature; each plural as its `[one, other]` forms.
macro_rules! language {
    (
        $lang:expr;
        $($name:ident: $text:expr,)* [$($status:ident: $status_text:expr,)*] $($more:ident: $more_text:expr,)*
        ; plurals: $($plural:ident: [$one:expr, $other:expr],)*
        [$($status_plural:ident: [$status_one:expr, $status_other:expr],)*]
    ) => {
        Strings {
            $($name: $text,)*
            $(#[cfg(feature = "status")] $status: $status_text,)*
            $($more: $more_text,)*
            $($plural: Plural { lang: $lang, one: $one, other: $other },)*
            $(#[cfg(feature = "status")] $status_plural: Plural { lang: $lang, one: $status_one, other: $status_other },)*
        }
    };
}

strings! {
    search_label, search_placeholder, search_no_match, kind_country,
    kind_region, from_price, plans_for, scope_label, scope_own, scope_regional, best_value,
    no_match, clear_filters, sort_label, sort_price, sort_data, sort_validity, sold_out,
    choose, choose_plan, loading, load_failed, retry, no_plans,
    change_destination, back, checkout_title, email_label, email_hint, email_invalid,
    terms_before, terms_link, pay, redirecting, pay_link,
    [
        order_title, order_reference, step_payment,
        step_preparing, step_ready, status_pending, status_paid, status_provisioning,
        status_ready, status_declined, status_provisioning_failed, status_failed,
        status_expired, status_refunded, status_topup_ready, choose_again, offline, ready_scan,
        scan_other, other_device, save_qr, copy_all, share, how_iphone_manual, qr_label,
        manual_title, smdp_label, code_label, copy, copy_smdp, copy_code,
        smdp_copied, code_copied, details_copied, copy_failed, of_traveller, install_iphone,
        install_android, how_title, how_iphone, how_android, how_samsung, keep_primary,
        install_before, valid_between, plan_details, usage_title, usage_measured,
        topup_title, topup_add, new_purchase, traveller, line_refunded, share_traveller,
        copy_traveller,
    ]
    err_email, err_sold_out, err_rate_limited, err_offline,
    err_upstream, err_network, err_not_found, err_conflict, err_generic, err_payment_page,
    region_western_europe, region_europe, region_north_america, region_asia,
    region_latin_america, region_middle_east, region_global, widget_label, colon,
    shop_unavailable,
    travellers_label, travellers_hint, err_quantity,
    ; plurals: days, covers_countries, search_results, plans_shown, total,
    [usage_used, usage_left, status_lines, status_ready_many,]
}

impl Strings {
    /// "1 day" or "30 days".
    pub fn days(&self, n: u32) -> String {
        self.days.n(n)
    }

    /// "Valid from 8 Mar 2026 to 7 Apr 2026", with Italian's elision before a day
    /// said with a vowel ("dall'8", "all'11", never "dal 8").
    #[cfg(feature = "status")]
    pub fn valid_between(&self, from: &str, until: &str) -> String {
        let text = fill(self.valid_between, &[("from", from), ("until", until)]);
        if self.days.lang == Lang::It {
            elide_italian(&text)
        } else {
            text
        }
    }

    /// A range of days, "3–7 days": `other` in the five languages (CLDR's plural ranges
    /// give a range its end's category, and an end above 1 is `other`).
    pub fn days_range(&self, low: u32, high: u32) -> String {
        fill(self.days.other, &[("n", &format!("{low}–{high}"))])
    }

    /// A region's name, when the widget knows it.
    pub fn region(&self, slug: &str) -> Option<&'static str> {
        Some(match slug {
            "western-europe" => self.region_western_europe,
            "europe" => self.region_europe,
            "north-america" => self.region_north_america,
            "asia" => self.region_asia,
            "latin-america" => self.region_latin_america,
            "middle-east" => self.region_middle_east,
            "global" => self.region_global,
            _ => return None,
        })
    }
}

/// English.
pub static EN: Strings = language! {
    Lang::En;
    search_label: "Where are you going?",
    search_placeholder: "Search a country or region",
    search_no_match: "No destination matches “{q}”.",
    kind_country: "Country",
    kind_region: "Region",
    from_price: "from {price}",
    plans_for: "{dest} eSIM plans",
    scope_label: "Coverage",
    scope_own: "{dest} only",
    scope_regional: "Multi-country",
    best_value: "Best price per GB",
    no_match: "No plan matches these filters.",
    clear_filters: "Show all plans",
    sort_label: "Sort by",
    sort_price: "Price",
    sort_data: "Data",
    sort_validity: "Validity",
    sold_out: "Sold out",
    choose: "Choose",
    choose_plan: "Choose {plan}",
    loading: "Loading plans…",
    load_failed: "We couldn't load the plans.",
    retry: "Try again",
    no_plans: "No plans are available for this destination yet.",
    change_destination: "Change destination",
    back: "Back",
    checkout_title: "Your eSIM",
    email_label: "Email",
    email_hint: "We send your receipt and eSIM details here.",
    email_invalid: "Enter an email address like name@example.com.",
    terms_before: "By continuing you accept the",
    terms_link: "plan terms",
    pay: "Continue to payment · {price}",
    redirecting: "Taking you to secure payment…",
    pay_link: "Continue to secure payment",
    [
    order_title: "Your order",
    order_reference: "Order reference",
    step_payment: "Payment",
    step_preparing: "Preparing your eSIM",
    step_ready: "Ready to install",
    status_pending: "Waiting for your payment…",
    status_paid: "Confirming your payment…",
    status_provisioning: "Payment confirmed. Preparing your eSIM…",
    status_ready: "Your eSIM is ready.",
    status_declined: "Your payment was declined. No money was taken.",
    status_provisioning_failed: "We couldn't prepare your eSIM. Contact support with your order reference for a refund.",
    status_failed: "This order could not be completed.",
    status_expired: "The payment page expired before payment.",
    status_refunded: "This order was refunded. Its eSIM no longer works.",
    status_topup_ready: "Your top-up is added to your eSIM.",
    choose_again: "Choose a plan",
    offline: "You're offline. We'll check again when you're back online.",
    ready_scan: "Scan this QR code with the phone you travel with.",
    scan_other: "Scan this QR code with the other device.",
    other_device: "Install on another device",
    save_qr: "Save QR code",
    copy_all: "Copy all details",
    share: "Share",
    how_iphone_manual: "On this iPhone: Settings › Mobile Service (Cellular on US iPhones) › Add eSIM › Use QR Code › Enter Details Manually.",
    qr_label: "QR code to install your eSIM",
    manual_title: "Or enter the details by hand",
    smdp_label: "SM-DP+ address",
    code_label: "Activation code",
    copy: "Copy",
    copy_smdp: "Copy SM-DP+ address",
    copy_code: "Copy activation code",
    smdp_copied: "SM-DP+ address copied",
    code_copied: "Activation code copied",
    details_copied: "eSIM details copied",
    copy_failed: "Couldn't copy. Select the text and copy it yourself.",
    of_traveller: "{what}, traveller {n}",
    install_iphone: "Install on this iPhone",
    install_android: "Install on this phone",
    how_title: "How to install",
    how_iphone: "iPhone: Settings › Mobile Service (Cellular on US iPhones) › Add eSIM › Use QR Code.",
    how_android: "Android (Pixel): Settings › Network & internet › SIMs › Add eSIM.",
    how_samsung: "Android (Samsung): Settings › Connections › SIM manager › Add eSIM.",
    keep_primary: "Keep your primary SIM for calls and texts, and use this eSIM for data with data roaming on.",
    install_before: "Install it before you travel, on Wi-Fi. Don't delete it: an eSIM can't be installed twice.",
    valid_between: "Valid from {from} to {until}",
    plan_details: "Plan details and FAQ",
    usage_title: "Data",
    usage_measured: "Measured {time}. Roaming networks can report usage late.",
    topup_title: "Need more data?",
    topup_add: "Add {data} · {price}",
    new_purchase: "Buy another eSIM",
    traveller: "Traveller {n}",
    line_refunded: "Refunded: this eSIM no longer works.",
    share_traveller: "Share with this traveller",
    copy_traveller: "Copy for this traveller",
    ]
    err_email: "Enter an email address like name@example.com.",
    err_sold_out: "This plan just sold out. Please choose another.",
    err_rate_limited: "Too many attempts. Please wait a moment and try again.",
    err_offline: "You're offline. Connect to the internet and try again.",
    err_upstream: "Our eSIM provider is having trouble. Please try again in a few minutes.",
    err_network: "This shop can't be reached right now. Please try again in a moment.",
    err_not_found: "We couldn't find this order.",
    err_conflict: "This purchase was already started. Please start again.",
    err_generic: "Something went wrong. Please try again.",
    err_payment_page: "The payment page we were given is not a secure address, so we did not open it. Please try again later.",
    region_western_europe: "Western Europe",
    region_europe: "Europe",
    region_north_america: "North America",
    region_asia: "Asia",
    region_latin_america: "Latin America",
    region_middle_east: "Middle East and North Africa",
    region_global: "Global",
    widget_label: "eSIM shop",
    colon: ":",
    shop_unavailable: "The eSIM shop could not load. Please reload the page.",
    travellers_label: "How many travellers?",
    travellers_hint: "One eSIM for each traveller, each with its own QR code.",
    err_quantity: "This shop can't sell that many eSIMs of this plan in one order. Choose fewer travellers.",
    ; plurals:
    days: ["{n} day", "{n} days"],
    covers_countries: ["Covers {n} country", "Covers {n} countries"],
    search_results: ["{n} destination found", "{n} destinations found"],
    plans_shown: ["{n} plan shown", "{n} plans shown"],
    total: ["Total for {n} traveller: {price}", "Total for {n} travellers: {price}"],
    [
    usage_used: ["{used} used of {total}", "{used} used of {total}"],
    usage_left: ["{left} left", "{left} left"],
    status_lines: ["Payment confirmed. {ready} of {total} eSIM ready…", "Payment confirmed. {ready} of {total} eSIMs ready…"],
    status_ready_many: ["Your eSIM is ready.", "Your {n} eSIMs are ready."],
    ]
};

/// French.
pub static FR: Strings = language! {
    Lang::Fr;
    search_label: "Où partez-vous\u{202f}?",
    search_placeholder: "Chercher un pays ou une région",
    search_no_match: "Aucune destination ne correspond à «\u{a0}{q}\u{a0}».",
    kind_country: "Pays",
    kind_region: "Région",
    from_price: "dès {price}",
    plans_for: "{dest}\u{a0}: forfaits eSIM",
    scope_label: "Couverture",
    scope_own: "{dest} uniquement",
    scope_regional: "Multi-pays",
    best_value: "Meilleur prix au Go",
    no_match: "Aucun forfait ne correspond à ces filtres.",
    clear_filters: "Afficher tous les forfaits",
    sort_label: "Trier par",
    sort_price: "Prix",
    sort_data: "Données",
    sort_validity: "Validité",
    sold_out: "Épuisé",
    choose: "Choisir",
    choose_plan: "Choisir {plan}",
    loading: "Chargement des forfaits…",
    load_failed: "Impossible de charger les forfaits.",
    retry: "Réessayer",
    no_plans: "Aucun forfait n'est encore disponible pour cette destination.",
    change_destination: "Changer de destination",
    back: "Retour",
    checkout_title: "Votre eSIM",
    email_label: "E-mail",
    email_hint: "Nous y envoyons votre reçu et votre eSIM.",
    email_invalid: "Saisissez une adresse e-mail comme nom@exemple.fr.",
    terms_before: "En continuant, vous acceptez les",
    terms_link: "conditions du forfait",
    pay: "Payer · {price}",
    redirecting: "Redirection vers le paiement sécurisé…",
    pay_link: "Continuer vers le paiement sécurisé",
    [
    order_title: "Votre commande",
    order_reference: "Référence de commande",
    step_payment: "Paiement",
    step_preparing: "Préparation de votre eSIM",
    step_ready: "Prête à installer",
    status_pending: "En attente de votre paiement…",
    status_paid: "Confirmation de votre paiement…",
    status_provisioning: "Paiement confirmé. Préparation de votre eSIM…",
    status_ready: "Votre eSIM est prête.",
    status_declined: "Votre paiement a été refusé. Aucun montant n'a été débité.",
    status_provisioning_failed: "Nous n'avons pas pu préparer votre eSIM. Contactez le support avec votre référence pour être remboursé.",
    status_failed: "Cette commande n'a pas pu aboutir.",
    status_expired: "La page de paiement a expiré avant le paiement.",
    status_refunded: "Cette commande a été remboursée. Son eSIM ne fonctionne plus.",
    status_topup_ready: "Votre recharge a été ajoutée à votre eSIM.",
    choose_again: "Choisir un forfait",
    offline: "Vous êtes hors ligne. Nous vérifierons dès votre retour en ligne.",
    ready_scan: "Scannez ce code QR avec le téléphone qui voyage avec vous.",
    scan_other: "Scannez ce code QR avec l'autre appareil.",
    other_device: "Installer sur un autre appareil",
    save_qr: "Enregistrer le code QR",
    copy_all: "Copier toutes les informations",
    share: "Partager",
    how_iphone_manual: "Sur cet iPhone\u{a0}: Réglages › Données cellulaires › Ajouter une eSIM › Utiliser un code QR › Saisir les informations manuellement.",
    qr_label: "Code QR pour installer votre eSIM",
    manual_title: "Ou saisissez les informations à la main",
    smdp_label: "Adresse SM-DP+",
    code_label: "Code d'activation",
    copy: "Copier",
    copy_smdp: "Copier l'adresse SM-DP+",
    copy_code: "Copier le code d'activation",
    smdp_copied: "Adresse SM-DP+ copiée",
    code_copied: "Code d'activation copié",
    details_copied: "Informations de l'eSIM copiées",
    copy_failed: "Impossible de copier. Sélectionnez le texte et copiez-le vous-même.",
    of_traveller: "{what}, voyageur {n}",
    install_iphone: "Installer sur cet iPhone",
    install_android: "Installer sur ce téléphone",
    how_title: "Comment l'installer",
    how_iphone: "iPhone\u{a0}: Réglages › Données cellulaires › Ajouter une eSIM › Utiliser un code QR.",
    how_android: "Android (Pixel)\u{a0}: Paramètres › Réseau et Internet › SIM › Ajouter une eSIM.",
    how_samsung: "Android (Samsung)\u{a0}: Paramètres › Connexions › Gestionnaire de cartes SIM › Ajouter une eSIM.",
    keep_primary: "Gardez votre SIM principale pour les appels et SMS, et utilisez cette eSIM pour les données, itinérance activée.",
    install_before: "Installez-la avant de partir, en Wi-Fi. Ne la supprimez pas\u{a0}: une eSIM ne s'installe qu'une fois.",
    valid_between: "Valable du {from} au {until}",
    plan_details: "Détails du forfait et FAQ",
    usage_title: "Données",
    usage_measured: "Relevé {time}. Les réseaux en itinérance peuvent signaler la consommation en retard.",
    topup_title: "Besoin de plus de données\u{202f}?",
    topup_add: "Ajouter {data} · {price}",
    new_purchase: "Acheter une autre eSIM",
    traveller: "Voyageur {n}",
    line_refunded: "Remboursée\u{a0}: cette eSIM ne fonctionne plus.",
    share_traveller: "Partager avec ce voyageur",
    copy_traveller: "Copier pour ce voyageur",
    ]
    err_email: "Saisissez une adresse e-mail comme nom@exemple.fr.",
    err_sold_out: "Ce forfait vient d'être épuisé. Choisissez-en un autre.",
    err_rate_limited: "Trop de tentatives. Patientez un instant puis réessayez.",
    err_offline: "Vous êtes hors ligne. Connectez-vous à Internet puis réessayez.",
    err_upstream: "Notre fournisseur eSIM rencontre un problème. Réessayez dans quelques minutes.",
    err_network: "La boutique est injoignable pour le moment. Réessayez dans un instant.",
    err_not_found: "Nous n'avons pas trouvé cette commande.",
    err_conflict: "Cet achat a déjà été commencé. Recommencez, s'il vous plaît.",
    err_generic: "Une erreur est survenue. Réessayez.",
    err_payment_page: "L'adresse de la page de paiement reçue n'est pas sécurisée\u{a0}: nous ne l'avons pas ouverte. Réessayez plus tard.",
    region_western_europe: "Europe de l'Ouest",
    region_europe: "Europe",
    region_north_america: "Amérique du Nord",
    region_asia: "Asie",
    region_latin_america: "Amérique latine",
    region_middle_east: "Moyen-Orient et Afrique du Nord",
    region_global: "Monde",
    widget_label: "Boutique eSIM",
    colon: "\u{a0}:",
    shop_unavailable: "La boutique eSIM n’a pas pu se charger. Rechargez la page.",
    travellers_label: "Combien de voyageurs\u{202f}?",
    travellers_hint: "Une eSIM par voyageur, chacune avec son propre code QR.",
    err_quantity: "Cette boutique ne peut pas vendre autant d'eSIM de ce forfait en une seule commande. Choisissez moins de voyageurs.",
    ; plurals:
    days: ["{n} jour", "{n} jours"],
    covers_countries: ["Couvre {n} pays", "Couvre {n} pays"],
    search_results: ["{n} destination trouvée", "{n} destinations trouvées"],
    plans_shown: ["{n} forfait affiché", "{n} forfaits affichés"],
    total: ["Total pour {n} voyageur\u{a0}: {price}", "Total pour {n} voyageurs\u{a0}: {price}"],
    [
    usage_used: ["{used} utilisé sur {total}", "{used} utilisés sur {total}"],
    usage_left: ["{left} restant", "{left} restants"],
    status_lines: ["Paiement confirmé. eSIM prête\u{a0}: {ready} sur {total}…", "Paiement confirmé. eSIM prêtes\u{a0}: {ready} sur {total}…"],
    status_ready_many: ["{n} eSIM prête.", "Vos {n} eSIM sont prêtes."],
    ]
};

/// German.
pub static DE: Strings = language! {
    Lang::De;
    search_label: "Wohin reisen Sie?",
    search_placeholder: "Land oder Region suchen",
    search_no_match: "Kein Reiseziel passt zu „{q}“.",
    kind_country: "Land",
    kind_region: "Region",
    from_price: "ab {price}",
    plans_for: "{dest}: eSIM-Tarife",
    scope_label: "Abdeckung",
    scope_own: "Nur {dest}",
    scope_regional: "Mehrere Länder",
    best_value: "Bester Preis pro GB",
    no_match: "Kein Tarif passt zu diesen Filtern.",
    clear_filters: "Alle Tarife zeigen",
    sort_label: "Sortieren nach",
    sort_price: "Preis",
    sort_data: "Datenvolumen",
    sort_validity: "Gültigkeit",
    sold_out: "Ausverkauft",
    choose: "Auswählen",
    choose_plan: "{plan} auswählen",
    loading: "Tarife werden geladen…",
    load_failed: "Die Tarife konnten nicht geladen werden.",
    retry: "Erneut versuchen",
    no_plans: "Für dieses Reiseziel gibt es noch keine Tarife.",
    change_destination: "Reiseziel ändern",
    back: "Zurück",
    checkout_title: "Ihre eSIM",
    email_label: "E-Mail",
    email_hint: "Dorthin senden wir Beleg und eSIM-Daten.",
    email_invalid: "Geben Sie eine E-Mail-Adresse wie name@beispiel.de ein.",
    terms_before: "Wenn Sie fortfahren, akzeptieren Sie die",
    terms_link: "Tarifbedingungen",
    pay: "Weiter zur Zahlung · {price}",
    redirecting: "Weiterleitung zur sicheren Zahlung…",
    pay_link: "Weiter zur sicheren Zahlung",
    [
    order_title: "Ihre Bestellung",
    order_reference: "Bestellnummer",
    step_payment: "Zahlung",
    step_preparing: "eSIM wird vorbereitet",
    step_ready: "Bereit zur Installation",
    status_pending: "Warten auf Ihre Zahlung…",
    status_paid: "Ihre Zahlung wird bestätigt…",
    status_provisioning: "Zahlung bestätigt. Ihre eSIM wird vorbereitet…",
    status_ready: "Ihre eSIM ist bereit.",
    status_declined: "Ihre Zahlung wurde abgelehnt. Es wurde nichts abgebucht.",
    status_provisioning_failed: "Ihre eSIM konnte nicht vorbereitet werden. Wenden Sie sich mit Ihrer Bestellnummer an den Support, um eine Erstattung zu erhalten.",
    status_failed: "Diese Bestellung konnte nicht abgeschlossen werden.",
    status_expired: "Die Zahlungsseite ist vor der Zahlung abgelaufen.",
    status_refunded: "Diese Bestellung wurde erstattet. Ihre eSIM funktioniert nicht mehr.",
    status_topup_ready: "Ihr Datenpaket wurde Ihrer eSIM hinzugefügt.",
    choose_again: "Tarif wählen",
    offline: "Sie sind offline. Wir prüfen erneut, sobald Sie wieder online sind.",
    ready_scan: "Scannen Sie diesen QR-Code mit dem Telefon, mit dem Sie reisen.",
    scan_other: "Scannen Sie diesen QR-Code mit dem anderen Gerät.",
    other_device: "Auf einem anderen Gerät installieren",
    save_qr: "QR-Code speichern",
    copy_all: "Alle Daten kopieren",
    share: "Teilen",
    how_iphone_manual: "Auf diesem iPhone: Einstellungen › Mobilfunk › eSIM hinzufügen › QR-Code verwenden › Details manuell eingeben.",
    qr_label: "QR-Code zur Installation Ihrer eSIM",
    manual_title: "Oder geben Sie die Daten von Hand ein",
    smdp_label: "SM-DP+-Adresse",
    code_label: "Aktivierungscode",
    copy: "Kopieren",
    copy_smdp: "SM-DP+-Adresse kopieren",
    copy_code: "Aktivierungscode kopieren",
    smdp_copied: "SM-DP+-Adresse kopiert",
    code_copied: "Aktivierungscode kopiert",
    details_copied: "eSIM-Daten kopiert",
    copy_failed: "Kopieren nicht möglich. Markieren Sie den Text und kopieren Sie ihn selbst.",
    of_traveller: "{what}, Person {n}",
    install_iphone: "Auf diesem iPhone installieren",
    install_android: "Auf diesem Telefon installieren",
    how_title: "So installieren Sie sie",
    how_iphone: "iPhone: Einstellungen › Mobilfunk › eSIM hinzufügen › QR-Code verwenden.",
    how_android: "Android (Pixel): Einstellungen › Netzwerk & Internet › SIMs › eSIM hinzufügen.",
    how_samsung: "Android (Samsung): Einstellungen › Verbindungen › SIM-Manager › eSIM hinzufügen.",
    keep_primary: "Behalten Sie Ihre Haupt-SIM für Anrufe und SMS und nutzen Sie diese eSIM mit aktiviertem Daten-Roaming für mobile Daten.",
    install_before: "Installieren Sie sie vor der Reise im WLAN. Nicht löschen: Eine eSIM lässt sich nur einmal installieren.",
    valid_between: "Gültig vom {from} bis {until}",
    plan_details: "Tarifdetails und FAQ",
    usage_title: "Datenvolumen",
    usage_measured: "Gemessen {time}. Roaming-Netze melden den Verbrauch oft verzögert.",
    topup_title: "Mehr Daten nötig?",
    topup_add: "{data} hinzufügen · {price}",
    new_purchase: "Weitere eSIM kaufen",
    traveller: "Person {n}",
    line_refunded: "Erstattet: Diese eSIM funktioniert nicht mehr.",
    share_traveller: "Mit dieser Person teilen",
    copy_traveller: "Für diese Person kopieren",
    ]
    err_email: "Geben Sie eine E-Mail-Adresse wie name@beispiel.de ein.",
    err_sold_out: "Dieser Tarif ist gerade ausverkauft. Bitte wählen Sie einen anderen.",
    err_rate_limited: "Zu viele Versuche. Bitte warten Sie einen Moment.",
    err_offline: "Sie sind offline. Verbinden Sie sich mit dem Internet und versuchen Sie es erneut.",
    err_upstream: "Unser eSIM-Anbieter hat gerade Probleme. Bitte versuchen Sie es in ein paar Minuten erneut.",
    err_network: "Der Shop ist gerade nicht erreichbar. Bitte versuchen Sie es gleich noch einmal.",
    err_not_found: "Diese Bestellung wurde nicht gefunden.",
    err_conflict: "Dieser Kauf wurde bereits begonnen. Bitte beginnen Sie neu.",
    err_generic: "Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.",
    err_payment_page: "Die erhaltene Adresse der Zahlungsseite ist nicht sicher, daher haben wir sie nicht geöffnet. Bitte versuchen Sie es später erneut.",
    region_western_europe: "Westeuropa",
    region_europe: "Europa",
    region_north_america: "Nordamerika",
    region_asia: "Asien",
    region_latin_america: "Lateinamerika",
    region_middle_east: "Naher Osten und Nordafrika",
    region_global: "Weltweit",
    widget_label: "eSIM-Shop",
    colon: ":",
    shop_unavailable: "Der eSIM-Shop konnte nicht geladen werden. Bitte laden Sie die Seite neu.",
    travellers_label: "Wie viele Personen reisen?",
    travellers_hint: "Eine eSIM pro Person, jede mit eigenem QR-Code.",
    err_quantity: "Dieser Shop kann so viele eSIMs dieses Tarifs nicht in einer Bestellung verkaufen. Wählen Sie weniger Personen.",
    ; plurals:
    days: ["{n} Tag", "{n} Tage"],
    covers_countries: ["Gilt in {n} Land", "Gilt in {n} Ländern"],
    search_results: ["{n} Reiseziel gefunden", "{n} Reiseziele gefunden"],
    plans_shown: ["{n} Tarif angezeigt", "{n} Tarife angezeigt"],
    total: ["Gesamt für {n} Person: {price}", "Gesamt für {n} Personen: {price}"],
    [
    usage_used: ["{used} von {total} verbraucht", "{used} von {total} verbraucht"],
    usage_left: ["{left} übrig", "{left} übrig"],
    status_lines: ["Zahlung bestätigt. {ready} von {total} eSIM bereit…", "Zahlung bestätigt. {ready} von {total} eSIMs bereit…"],
    status_ready_many: ["Ihre eSIM ist bereit.", "Ihre {n} eSIMs sind bereit."],
    ]
};

/// Spanish.
pub static ES: Strings = language! {
    Lang::Es;
    search_label: "¿Adónde viajas?",
    search_placeholder: "Busca un país o una región",
    search_no_match: "Ningún destino coincide con «{q}».",
    kind_country: "País",
    kind_region: "Región",
    from_price: "desde {price}",
    plans_for: "{dest}: planes eSIM",
    scope_label: "Cobertura",
    scope_own: "Solo {dest}",
    scope_regional: "Varios países",
    best_value: "Mejor precio por GB",
    no_match: "Ningún plan coincide con estos filtros.",
    clear_filters: "Ver todos los planes",
    sort_label: "Ordenar por",
    sort_price: "Precio",
    sort_data: "Datos",
    sort_validity: "Validez",
    sold_out: "Agotado",
    choose: "Elegir",
    choose_plan: "Elegir {plan}",
    loading: "Cargando planes…",
    load_failed: "No hemos podido cargar los planes.",
    retry: "Reintentar",
    no_plans: "Todavía no hay planes para este destino.",
    change_destination: "Cambiar destino",
    back: "Volver",
    checkout_title: "Tu eSIM",
    email_label: "Correo electrónico",
    email_hint: "Te enviamos aquí el recibo y los datos de la eSIM.",
    email_invalid: "Introduce una dirección de correo como nombre@ejemplo.es.",
    terms_before: "Al continuar aceptas las",
    terms_link: "condiciones del plan",
    pay: "Ir al pago · {price}",
    redirecting: "Te llevamos al pago seguro…",
    pay_link: "Continuar al pago seguro",
    [
    order_title: "Tu pedido",
    order_reference: "Referencia del pedido",
    step_payment: "Pago",
    step_preparing: "Preparando tu eSIM",
    step_ready: "Lista para instalar",
    status_pending: "Esperando tu pago…",
    status_paid: "Confirmando tu pago…",
    status_provisioning: "Pago confirmado. Preparando tu eSIM…",
    status_ready: "Tu eSIM está lista.",
    status_declined: "Se ha rechazado tu pago. No se te ha cobrado nada.",
    status_provisioning_failed: "No hemos podido preparar tu eSIM. Contacta con soporte con tu referencia para el reembolso.",
    status_failed: "Este pedido no se ha podido completar.",
    status_expired: "La página de pago ha caducado antes del pago.",
    status_refunded: "Este pedido se ha reembolsado: la eSIM ya no funciona.",
    status_topup_ready: "Tu recarga se ha añadido a tu eSIM.",
    choose_again: "Elegir un plan",
    offline: "Estás sin conexión. Lo comprobaremos cuando vuelvas a estar en línea.",
    ready_scan: "Escanea este código QR con el teléfono con el que viajas.",
    scan_other: "Escanea este código QR con el otro dispositivo.",
    other_device: "Instalar en otro dispositivo",
    save_qr: "Guardar el código QR",
    copy_all: "Copiar todos los datos",
    share: "Compartir",
    how_iphone_manual: "En este iPhone: Ajustes › Datos móviles › Añadir eSIM › Usar código QR › Introducir datos manualmente.",
    qr_label: "Código QR para instalar tu eSIM",
    manual_title: "O introduce los datos a mano",
    smdp_label: "Dirección SM-DP+",
    code_label: "Código de activación",
    copy: "Copiar",
    copy_smdp: "Copiar la dirección SM-DP+",
    copy_code: "Copiar el código de activación",
    smdp_copied: "Dirección SM-DP+ copiada",
    code_copied: "Código de activación copiado",
    details_copied: "Datos de la eSIM copiados",
    copy_failed: "No se ha podido copiar. Selecciona el texto y cópialo a mano.",
    of_traveller: "{what}, viajero {n}",
    install_iphone: "Instalar en este iPhone",
    install_android: "Instalar en este teléfono",
    how_title: "Cómo instalarla",
    how_iphone: "iPhone: Ajustes › Datos móviles › Añadir eSIM › Usar código QR.",
    how_android: "Android (Pixel): Ajustes › Redes e Internet › SIMs › Añadir eSIM.",
    how_samsung: "Android (Samsung): Ajustes › Conexiones › Administrador de SIM › Añadir eSIM.",
    keep_primary: "Mantén tu SIM principal para llamadas y SMS, y usa esta eSIM para datos con la itinerancia activada.",
    install_before: "Instálala antes de viajar, con wifi. No la borres: una eSIM solo se instala una vez.",
    valid_between: "Válida del {from} al {until}",
    plan_details: "Detalles del plan y preguntas frecuentes",
    usage_title: "Datos",
    usage_measured: "Medido {time}. Las redes en itinerancia pueden informar del consumo con retraso.",
    topup_title: "¿Necesitas más datos?",
    topup_add: "Añadir {data} · {price}",
    new_purchase: "Comprar otra eSIM",
    traveller: "Viajero {n}",
    line_refunded: "Reembolsada: esta eSIM ya no funciona.",
    share_traveller: "Compartir con este viajero",
    copy_traveller: "Copiar para este viajero",
    ]
    err_email: "Introduce una dirección de correo como nombre@ejemplo.es.",
    err_sold_out: "Este plan se acaba de agotar. Elige otro.",
    err_rate_limited: "Demasiados intentos. Espera un momento e inténtalo de nuevo.",
    err_offline: "Estás sin conexión. Conéctate a internet e inténtalo de nuevo.",
    err_upstream: "Nuestro proveedor de eSIM tiene problemas. Inténtalo de nuevo en unos minutos.",
    err_network: "La tienda no está disponible en este momento. Inténtalo de nuevo en un momento.",
    err_not_found: "No hemos encontrado este pedido.",
    err_conflict: "Esta compra ya se había iniciado. Empieza de nuevo.",
    err_generic: "Algo ha salido mal. Inténtalo de nuevo.",
    err_payment_page: "La dirección de la página de pago que hemos recibido no es segura, así que no la hemos abierto. Inténtalo de nuevo más tarde.",
    region_western_europe: "Europa Occidental",
    region_europe: "Europa",
    region_north_america: "América del Norte",
    region_asia: "Asia",
    region_latin_america: "América Latina",
    region_middle_east: "Oriente Medio y Norte de África",
    region_global: "Global",
    widget_label: "Tienda de eSIM",
    colon: ":",
    shop_unavailable: "No se ha podido cargar la tienda de eSIM. Vuelve a cargar la página.",
    travellers_label: "¿Cuántos viajeros?",
    travellers_hint: "Una eSIM por viajero, cada una con su propio código QR.",
    err_quantity: "Esta tienda no puede vender tantas eSIM de este plan en un solo pedido. Elige menos viajeros.",
    ; plurals:
    days: ["{n} día", "{n} días"],
    covers_countries: ["Cubre {n} país", "Cubre {n} países"],
    search_results: ["{n} destino encontrado", "{n} destinos encontrados"],
    plans_shown: ["Se muestra {n} plan", "Se muestran {n} planes"],
    total: ["Total para {n} viajero: {price}", "Total para {n} viajeros: {price}"],
    [
    usage_used: ["{used} usado de {total}", "{used} usados de {total}"],
    usage_left: ["Queda {left}", "Quedan {left}"],
    status_lines: ["Pago confirmado. eSIM lista: {ready} de {total}…", "Pago confirmado. eSIM listas: {ready} de {total}…"],
    status_ready_many: ["Tu eSIM está lista.", "Tus {n} eSIM están listas."],
    ]
};

/// Italian.
pub static IT: Strings = language! {
    Lang::It;
    search_label: "Dove vai?",
    search_placeholder: "Cerca un paese o una regione",
    search_no_match: "Nessuna destinazione corrisponde a «{q}».",
    kind_country: "Paese",
    kind_region: "Regione",
    from_price: "da {price}",
    plans_for: "{dest}: piani eSIM",
    scope_label: "Copertura",
    scope_own: "Solo {dest}",
    scope_regional: "Più paesi",
    best_value: "Miglior prezzo per GB",
    no_match: "Nessun piano corrisponde a questi filtri.",
    clear_filters: "Mostra tutti i piani",
    sort_label: "Ordina per",
    sort_price: "Prezzo",
    sort_data: "Dati",
    sort_validity: "Validità",
    sold_out: "Esaurito",
    choose: "Scegli",
    choose_plan: "Scegli {plan}",
    loading: "Caricamento dei piani…",
    load_failed: "Non siamo riusciti a caricare i piani.",
    retry: "Riprova",
    no_plans: "Non ci sono ancora piani per questa destinazione.",
    change_destination: "Cambia destinazione",
    back: "Indietro",
    checkout_title: "La tua eSIM",
    email_label: "Email",
    email_hint: "Qui inviamo la ricevuta e i dati della eSIM.",
    email_invalid: "Inserisci un indirizzo email come nome@esempio.it.",
    terms_before: "Continuando accetti le",
    terms_link: "condizioni del piano",
    pay: "Vai al pagamento · {price}",
    redirecting: "Ti portiamo al pagamento sicuro…",
    pay_link: "Continua al pagamento sicuro",
    [
    order_title: "Il tuo ordine",
    order_reference: "Riferimento ordine",
    step_payment: "Pagamento",
    step_preparing: "Preparazione della eSIM",
    step_ready: "Pronta da installare",
    status_pending: "In attesa del pagamento…",
    status_paid: "Conferma del pagamento in corso…",
    status_provisioning: "Pagamento confermato. Stiamo preparando la tua eSIM…",
    status_ready: "La tua eSIM è pronta.",
    status_declined: "Il pagamento è stato rifiutato. Non è stato addebitato nulla.",
    status_provisioning_failed: "Non siamo riusciti a preparare la tua eSIM. Contatta l'assistenza con il riferimento dell'ordine per il rimborso.",
    status_failed: "Questo ordine non è stato completato.",
    status_expired: "La pagina di pagamento è scaduta prima del pagamento.",
    status_refunded: "Questo ordine è stato rimborsato: la eSIM non funziona più.",
    status_topup_ready: "La ricarica è stata aggiunta alla tua eSIM.",
    choose_again: "Scegli un piano",
    offline: "Sei offline. Controlleremo di nuovo appena torni online.",
    ready_scan: "Scansiona questo codice QR con il telefono con cui viaggi.",
    scan_other: "Scansiona questo codice QR con l'altro dispositivo.",
    other_device: "Installa su un altro dispositivo",
    save_qr: "Salva il codice QR",
    copy_all: "Copia tutti i dati",
    share: "Condividi",
    how_iphone_manual: "Su questo iPhone: Impostazioni › Cellulare › Aggiungi eSIM › Usa codice QR › Inserisci i dettagli manualmente.",
    qr_label: "Codice QR per installare la tua eSIM",
    manual_title: "Oppure inserisci i dati a mano",
    smdp_label: "Indirizzo SM-DP+",
    code_label: "Codice di attivazione",
    copy: "Copia",
    copy_smdp: "Copia l'indirizzo SM-DP+",
    copy_code: "Copia il codice di attivazione",
    smdp_copied: "Indirizzo SM-DP+ copiato",
    code_copied: "Codice di attivazione copiato",
    details_copied: "Dati della eSIM copiati",
    copy_failed: "Impossibile copiare. Seleziona il testo e copialo a mano.",
    of_traveller: "{what}, viaggiatore {n}",
    install_iphone: "Installa su questo iPhone",
    install_android: "Installa su questo telefono",
    how_title: "Come installarla",
    how_iphone: "iPhone: Impostazioni › Cellulare › Aggiungi eSIM › Usa codice QR.",
    how_android: "Android (Pixel): Impostazioni › Rete e Internet › SIM › Aggiungi eSIM.",
    how_samsung: "Android (Samsung): Impostazioni › Connessioni › Gestione SIM › Aggiungi eSIM.",
    keep_primary: "Tieni la SIM principale per chiamate e SMS e usa questa eSIM per i dati, con il roaming dati attivo.",
    install_before: "Installala prima di partire, con il Wi-Fi. Non eliminarla: una eSIM si installa una sola volta.",
    valid_between: "Valida dal {from} al {until}",
    plan_details: "Dettagli del piano e FAQ",
    usage_title: "Dati",
    usage_measured: "Misurato {time}. Le reti in roaming possono segnalare i consumi in ritardo.",
    topup_title: "Servono più dati?",
    topup_add: "Aggiungi {data} · {price}",
    new_purchase: "Acquista un'altra eSIM",
    traveller: "Viaggiatore {n}",
    line_refunded: "Rimborsata: questa eSIM non funziona più.",
    share_traveller: "Condividi con questo viaggiatore",
    copy_traveller: "Copia per questo viaggiatore",
    ]
    err_email: "Inserisci un indirizzo email come nome@esempio.it.",
    err_sold_out: "Questo piano è appena esaurito. Scegline un altro.",
    err_rate_limited: "Troppi tentativi. Attendi un momento e riprova.",
    err_offline: "Sei offline. Connettiti a Internet e riprova.",
    err_upstream: "Il nostro fornitore di eSIM ha un problema. Riprova tra qualche minuto.",
    err_network: "Il negozio non è raggiungibile al momento. Riprova tra un momento.",
    err_not_found: "Non abbiamo trovato questo ordine.",
    err_conflict: "Questo acquisto era già stato avviato. Ricomincia.",
    err_generic: "Qualcosa è andato storto. Riprova.",
    err_payment_page: "L'indirizzo della pagina di pagamento ricevuto non è sicuro, quindi non l'abbiamo aperto. Riprova più tardi.",
    region_western_europe: "Europa occidentale",
    region_europe: "Europa",
    region_north_america: "Nord America",
    region_asia: "Asia",
    region_latin_america: "America Latina",
    region_middle_east: "Medio Oriente e Nord Africa",
    region_global: "Globale",
    widget_label: "Negozio eSIM",
    colon: ":",
    shop_unavailable: "Impossibile caricare il negozio eSIM. Ricarica la pagina.",
    travellers_label: "Quanti viaggiatori?",
    travellers_hint: "Una eSIM per ogni viaggiatore, ciascuna con il proprio codice QR.",
    err_quantity: "Questo negozio non può vendere così tante eSIM di questo piano in un solo ordine. Scegli meno viaggiatori.",
    ; plurals:
    days: ["{n} giorno", "{n} giorni"],
    covers_countries: ["Copre {n} paese", "Copre {n} paesi"],
    search_results: ["{n} destinazione trovata", "{n} destinazioni trovate"],
    plans_shown: ["{n} piano mostrato", "{n} piani mostrati"],
    total: ["Totale per {n} viaggiatore: {price}", "Totale per {n} viaggiatori: {price}"],
    [
    usage_used: ["{used} usato su {total}", "{used} usati su {total}"],
    usage_left: ["{left} rimanente", "{left} rimanenti"],
    status_lines: ["Pagamento confermato. eSIM pronta: {ready} di {total}…", "Pagamento confermato. eSIM pronte: {ready} di {total}…"],
    status_ready_many: ["La tua eSIM è pronta.", "Le tue {n} eSIM sono pronte."],
    ]
};

/// The `{name}` placeholders of a text, sorted (the tests of every language's texts).
#[cfg(test)]
pub(crate) fn placeholders(t: &str) -> Vec<String> {
    let mut v: Vec<String> = t
        .split('{')
        .skip(1)
        .filter_map(|p| p.split('}').next())
        .map(str::to_owned)
        .collect();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
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
}
